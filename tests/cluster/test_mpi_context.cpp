#include <gtest/gtest.h>

#include <map>

#include "cluster/mpi_context.h"

namespace {

cluster::EnvLookup environment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* var) -> const char* {
    auto it = vars.find(var);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST(Singleton, LaunchersAreKnownByTheRankTheyGive) {
  EXPECT_EQ(cluster::launcher_rank(environment({})), std::nullopt);
  EXPECT_EQ(cluster::launcher_rank(environment({{"OMPI_COMM_WORLD_RANK", "3"}})), 3);
  EXPECT_EQ(cluster::launcher_rank(environment({{"PMIX_RANK", "0"}})), 0);
  EXPECT_EQ(cluster::launcher_rank(environment({{"SLURM_PROCID", "7"}})), 7);
  EXPECT_EQ(cluster::launcher_rank(environment({{"HOME", "/root"}})), std::nullopt);
}

TEST(Singleton, AloneItNeedsNoDaemonAndNoNetwork) {
  using Settings = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(cluster::singleton_settings(environment({})),
            (Settings{{"OMPI_MCA_ess_singleton_isolated", "1"},
                      {"OMPI_MCA_pml", "ob1"},
                      {"OMPI_MCA_btl", "self"}}));
  // The user's own choice stands, and a launched rank is left to its launcher.
  EXPECT_EQ(cluster::singleton_settings(environment({{"OMPI_MCA_pml", "ucx"}})),
            (Settings{{"OMPI_MCA_ess_singleton_isolated", "1"}, {"OMPI_MCA_btl", "self"}}));
  EXPECT_TRUE(cluster::singleton_settings(environment({{"OMPI_COMM_WORLD_RANK", "0"}})).empty());
  EXPECT_TRUE(cluster::singleton_settings(environment({{"SLURM_PROCID", "0"}})).empty());
}
