#include "sweeps/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace sweeps {

std::string format_double(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "null" : (v > 0 ? "1e999" : "-1e999");
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

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
