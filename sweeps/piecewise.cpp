#include "sweeps/piecewise.h"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "util/json.h"

namespace sweeps {

namespace {

// The whole of `s` as a number, or false.
bool read_number(const std::string& s, double& out) {
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

}  // namespace

std::vector<Piece> parse_pieces(const std::string& text, double min) {
  std::vector<Piece> out;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto colon = item.find(':');
    double epoch = 0, value = 0;
    if (colon == std::string::npos || !read_number(item.substr(0, colon), epoch) ||
        !read_number(item.substr(colon + 1), value) || epoch != std::floor(epoch))
      throw std::invalid_argument("\"" + item +
                                  "\" is not epoch:value (as in \"1:0.001,5:0.0005\")");
    const Piece p{static_cast<std::int64_t>(epoch), value};
    if (p.epoch < 1 || (!out.empty() && p.epoch <= out.back().epoch))
      throw std::invalid_argument("epochs must rise from 1 on: \"" + item + "\"");
    if (!std::isfinite(p.value) || p.value < min)
      throw std::invalid_argument("the value of \"" + item +
                                  "\" must be >= " + util::format_double(min));
    out.push_back(p);
  }
  if (!text.empty() && (out.empty() || text.back() == ','))
    throw std::invalid_argument("\"" + text +
                                "\" is not epoch:value,... (as in \"1:0.001,5:0.0005\")");
  return out;
}

double piecewise_at(const std::vector<Piece>& pieces, std::int64_t epoch, double base) {
  for (const auto& p : pieces)
    if (p.epoch <= epoch) base = p.value;
  return base;
}

std::string pieces_text(const std::vector<Piece>& pieces) {
  std::string out;
  for (const auto& p : pieces)
    out += (out.empty() ? "" : ",") + std::to_string(p.epoch) + ":" + util::format_double(p.value);
  return out;
}

}  // namespace sweeps
