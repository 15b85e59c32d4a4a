#include "support.hpp"

int main(int argc, char **argv) { return fltest::run_main(argc, argv); }
