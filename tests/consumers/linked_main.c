/* The consumer linked against libfilelock (built through find_package or pkg-config). */
#include "consumer_checks.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s NAME PATH\n", argv[0]);
    return 2;
  }
  /* The macro form callers are told to use: the header they built with. */
  if (FL_CHECK_VERSION() != FL_OK) {
    fprintf(stderr, "FAIL FL_CHECK_VERSION: %s\n", fl_last_error());
    return 1;
  }
  const struct fl_entry_points fl = {fl_version, fl_check_version, fl_last_error,
                                     fl_open, fl_lock, fl_unlock, fl_close};
  return run_consumer_checks(&fl, argv[1], argv[2]);
}
