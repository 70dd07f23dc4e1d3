#include "sweeps/value.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "util/json.h"

namespace sweeps {

namespace {

using util::json_string;

std::string list_text(const IntList& l) {
  std::string out = "[";
  for (size_t i = 0; i < l.size(); ++i) out += (i ? "," : "") + std::to_string(l[i]);
  return out + "]";
}

struct Node {
  std::map<std::string, Node> children;
  const Value* leaf = nullptr;
};

void emit(const Node& n, std::string& out) {
  if (n.leaf) {
    out += to_json(*n.leaf);
    return;
  }
  out += "{";
  bool first = true;
  for (const auto& [k, child] : n.children) {
    if (!first) out += ",";
    first = false;
    out += json_string(k) + ":";
    emit(child, out);
  }
  out += "}";
}

}  // namespace

std::string to_json(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>)
          return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t>)
          return std::to_string(x);
        else if constexpr (std::is_same_v<T, double>)
          return format_double(x);
        else if constexpr (std::is_same_v<T, std::string>)
          return json_string(x);
        else
          return list_text(x);
      },
      v);
}

std::string to_display(const Value& v) {
  if (auto s = std::get_if<std::string>(&v)) return *s;
  return to_json(v);
}

std::string params_to_json(const Params& params, const std::map<std::string, Value>& top) {
  Node root;
  auto insert = [&root](const std::string& path, const Value& v) {
    Node* n = &root;
    size_t start = 0;
    while (true) {
      size_t dot = path.find('.', start);
      n = &n->children[path.substr(start, dot - start)];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    n->leaf = &v;
  };
  for (const auto& [k, v] : top) insert(k, v);
  for (const auto& [k, v] : params) insert(k, v);
  std::string out;
  emit(root, out);
  return out;
}

}  // namespace sweeps
