// A glibc PIE C++ program: libstdc++ (iostreams, std::string, std::vector,
// std::map), exceptions thrown across functions and caught by type, and a
// static object with a constructor (run by the loader's init machinery).
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Greeter {
    std::string word;
    Greeter() : word("constructed") {}
};
Greeter greeter;

int parse_positive(const std::string &s) {
    int v = std::stoi(s);   // throws std::invalid_argument on garbage
    if (v <= 0) throw std::range_error("not positive: " + s);
    return v;
}

}  // namespace

int main(int argc, char **argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    std::sort(words.begin(), words.end());
    std::ostringstream joined;
    for (const auto &w : words) joined << w << ' ';
    std::cout << "sorted: " << joined.str() << '\n';

    std::map<std::string, int> counts;
    for (const auto &w : words) counts[w]++;
    std::cout << "distinct: " << counts.size() << '\n';

    int caught = 0;
    for (const char *s : {"12", "-3", "xyz"}) {
        try {
            int v = parse_positive(s);
            std::cout << "value " << v << '\n';
        } catch (const std::range_error &e) {
            std::cout << "range_error: " << e.what() << '\n';
            caught++;
        } catch (const std::invalid_argument &) {
            std::cout << "invalid_argument: " << s << '\n';
            caught++;
        }
    }
    std::cout << "static object " << greeter.word << '\n';
    std::cout << "caught " << caught << std::endl;
    return caught == 2 ? 0 : 1;
}
