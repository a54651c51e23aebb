// A Network Name's dependency expression over IP Address resources, as the
// seed's Figure 12 writes it: "ipA or ipB", "ipA and (ipB or ipC)".
//
//   expr   := term { "or" term }
//   term   := factor { "and" factor }
//   factor := NAME | "(" expr ")"
//
// Keywords are case-insensitive ("OR" as Windows shows it); a NAME is the
// name of a resource (letters, digits, '-', '_', '.'). `and` binds tighter
// than `or`. A parse error names the position (1-based character) and what
// was expected there.
//
// Pure; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ftnet {

class DependencyError : public std::runtime_error {
  public:
    DependencyError(size_t position, const std::string& what)
        : std::runtime_error("at character " + std::to_string(position) + ": " + what), position_(position) {}
    size_t position() const { return position_; }

  private:
    size_t position_;
};

class DependencyExpr {
  public:
    DependencyExpr() = default;
    // Throws DependencyError.
    static DependencyExpr parse(const std::string& text);

    // Whether the expression holds when `online(name)` tells which
    // resources are online. An empty expression holds.
    bool holds(const std::function<bool(const std::string&)>& online) const;
    // Every resource name it mentions, in order of first appearance.
    const std::vector<std::string>& names() const { return names_; }
    bool empty() const { return nodes_.empty(); }
    // Canonical text: lower-case keywords, parentheses where needed.
    std::string str() const;

  private:
    struct Node {
        enum class Kind : uint8_t { Name, And, Or } kind;
        uint32_t name = 0;       // Name: index into names_
        uint32_t left = 0, right = 0;  // And, Or: node indices
    };
    bool eval(uint32_t n, const std::function<bool(const std::string&)>& online) const;
    std::string text(uint32_t n, Node::Kind parent) const;
    friend class DependencyParser;

    std::vector<Node> nodes_;  // the root is the last node
    std::vector<std::string> names_;
};

}  // namespace ftnet
