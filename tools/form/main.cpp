// form: the Formation tenant CLI. Everything lives in app.cpp and commands/.
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return form::run(args, std::cout, std::cerr);
}
