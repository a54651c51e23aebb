#include "engine/resources/dependency_expr.h"

#include <algorithm>
#include <cctype>

namespace ftnet {

namespace {

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

// Recursive descent over tokens; positions are 1-based characters.
class DependencyParser {
  public:
    explicit DependencyParser(const std::string& t) : t_(t) {}

    DependencyExpr run() {
        skip_space();
        if (at_end()) throw DependencyError(pos_ + 1, "the expression is empty");
        expr();
        skip_space();
        if (!at_end()) throw DependencyError(pos_ + 1, "expected \"and\", \"or\" or the end, found \"" + peek_word() + "\"");
        return std::move(out_);
    }

  private:
    static constexpr unsigned kMaxDepth = 64;

    bool at_end() const { return pos_ >= t_.size(); }
    void skip_space() {
        while (!at_end() && std::isspace(static_cast<unsigned char>(t_[pos_]))) pos_++;
    }
    std::string peek_word() const {
        if (at_end()) return "";
        if (!name_char(t_[pos_])) return std::string(1, t_[pos_]);
        size_t e = pos_;
        while (e < t_.size() && name_char(t_[e])) e++;
        return t_.substr(pos_, e - pos_);
    }
    bool keyword(const char* k) {
        skip_space();
        std::string w = peek_word();
        if (lower(w) != k) return false;
        pos_ += w.size();
        return true;
    }
    uint32_t add(DependencyExpr::Node n) {
        out_.nodes_.push_back(n);
        return static_cast<uint32_t>(out_.nodes_.size() - 1);
    }
    uint32_t expr() {
        uint32_t l = term();
        while (keyword("or")) l = add({DependencyExpr::Node::Kind::Or, 0, l, term()});
        return l;
    }
    uint32_t term() {
        uint32_t l = factor();
        while (keyword("and")) l = add({DependencyExpr::Node::Kind::And, 0, l, factor()});
        return l;
    }
    uint32_t factor() {
        skip_space();
        if (at_end()) throw DependencyError(pos_ + 1, "expected a resource name or \"(\", found the end");
        if (t_[pos_] == '(') {
            if (++depth_ > kMaxDepth) throw DependencyError(pos_ + 1, "parentheses nested too deep");
            pos_++;
            uint32_t e = expr();
            skip_space();
            if (at_end() || t_[pos_] != ')')
                throw DependencyError(pos_ + 1, at_end() ? "expected \")\", found the end"
                                                         : "expected \")\", found \"" + peek_word() + "\"");
            pos_++;
            depth_--;
            return e;
        }
        std::string w = peek_word();
        if (!name_char(t_[pos_])) throw DependencyError(pos_ + 1, "expected a resource name or \"(\", found \"" + w + "\"");
        if (lower(w) == "and" || lower(w) == "or")
            throw DependencyError(pos_ + 1, "expected a resource name, found the keyword \"" + w + "\"");
        pos_ += w.size();
        auto& names = out_.names_;
        auto it = std::find(names.begin(), names.end(), w);
        uint32_t idx = static_cast<uint32_t>(it - names.begin());
        if (it == names.end()) names.push_back(w);
        return add({DependencyExpr::Node::Kind::Name, idx, 0, 0});
    }

    const std::string& t_;
    size_t pos_ = 0;
    unsigned depth_ = 0;
    DependencyExpr out_;
};

DependencyExpr DependencyExpr::parse(const std::string& text) { return DependencyParser(text).run(); }

bool DependencyExpr::eval(uint32_t n, const std::function<bool(const std::string&)>& online) const {
    const Node& x = nodes_[n];
    switch (x.kind) {
    case Node::Kind::Name: return online(names_[x.name]);
    case Node::Kind::And: return eval(x.left, online) && eval(x.right, online);
    case Node::Kind::Or: return eval(x.left, online) || eval(x.right, online);
    }
    return false;
}

bool DependencyExpr::holds(const std::function<bool(const std::string&)>& online) const {
    return nodes_.empty() || eval(static_cast<uint32_t>(nodes_.size() - 1), online);
}

std::string DependencyExpr::text(uint32_t n, Node::Kind parent) const {
    const Node& x = nodes_[n];
    if (x.kind == Node::Kind::Name) return names_[x.name];
    const char* op = x.kind == Node::Kind::And ? " and " : " or ";
    std::string s = text(x.left, x.kind) + op + text(x.right, x.kind);
    // Only an `or` under an `and` needs parentheses.
    return parent == Node::Kind::And && x.kind == Node::Kind::Or ? "(" + s + ")" : s;
}

std::string DependencyExpr::str() const {
    return nodes_.empty() ? "" : text(static_cast<uint32_t>(nodes_.size() - 1), Node::Kind::Or);
}

}  // namespace ftnet
