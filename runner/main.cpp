#include <malloc.h>

#include "runner/cli/cli.h"

int main(int argc, char** argv) {
  // LibTorch mallocs every activation and gradient of every step. Above glibc's mmap threshold
  // those come as fresh mappings each time, and their page faults took ~15% of a training step in
  // profiles here; keep such buffers in the heap and let the heap grow instead.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  return runner::run_cli(argc, argv);
}
