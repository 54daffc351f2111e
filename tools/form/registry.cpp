#include <algorithm>
#include <numeric>

#include "cli.hpp"

namespace form {
namespace {

std::string join_words(const std::vector<std::string>& words, std::size_t count) {
  std::string name;
  for (std::size_t i = 0; i < count; ++i) name += (i ? " " : "") + words[i];
  return name;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

Registry& Registry::global() {
  static Registry registry;
  return registry;
}

void Registry::add(Command command) {
  if (command.name.empty() || !command.handler)
    throw std::logic_error("form: a command needs a name and a handler");
  auto name = command.name;
  if (!commands_.emplace(name, std::move(command)).second)
    throw std::logic_error("form: command registered twice: " + name);
}

const Command* Registry::find(std::string_view name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : &it->second;
}

std::vector<const Command*> Registry::all() const {
  std::vector<const Command*> list;
  for (const auto& [name, command] : commands_) list.push_back(&command);
  return list;
}

std::pair<const Command*, std::size_t> Registry::match(
    const std::vector<std::string>& words) const {
  for (std::size_t n = words.size(); n > 0; --n) {
    if (const Command* c = find(join_words(words, n))) return {c, n};
  }
  return {nullptr, 0};
}

std::vector<const Command*> Registry::group(std::string_view prefix) const {
  std::vector<const Command*> members;
  std::string with_space = std::string(prefix) + " ";
  for (const auto& [name, command] : commands_) {
    if (name.starts_with(with_space)) members.push_back(&command);
  }
  return members;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> list;
  for (const auto& [name, command] : commands_) {
    list.push_back(name);
    if (auto space = name.find(' '); space != std::string::npos)
      list.push_back(name.substr(0, space));
  }
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
  return list;
}

std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    // A prefix of at least three letters counts as close ("heal" -> "health").
    if (word.size() >= 3 && candidate.starts_with(word)) d = std::min<std::size_t>(d, 1);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  if (!best || best_distance > allowed || best_distance >= word.size()) return std::nullopt;
  return best;
}

}  // namespace form
