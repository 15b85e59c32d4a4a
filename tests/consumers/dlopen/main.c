/* A consumer that loads libfilelock.so.1 at run time, as P/Invoke and plugins do: only
 * the header's types and macros are compiled in. */
#define _GNU_SOURCE /* dlvsym */
#include <dlfcn.h>

#include "../consumer_checks.h"

/* Each entry point by its exported name and version node. */
static void *entry(void *lib, const char *name) {
  void *p = dlvsym(lib, name, "FILELOCK_1.0");
  if (p == NULL) fprintf(stderr, "FAIL dlvsym %s@FILELOCK_1.0: %s\n", name, dlerror());
  return p;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s NAME PATH\n", argv[0]);
    return 2;
  }
  void *lib = dlopen("libfilelock.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "FAIL dlopen libfilelock.so.1: %s\n", dlerror());
    return 1;
  }
  struct fl_entry_points fl;
  *(void **)&fl.version = entry(lib, "fl_version");
  *(void **)&fl.check_version = entry(lib, "fl_check_version");
  *(void **)&fl.last_error = entry(lib, "fl_last_error");
  *(void **)&fl.open = entry(lib, "fl_open");
  *(void **)&fl.lock = entry(lib, "fl_lock");
  *(void **)&fl.unlock = entry(lib, "fl_unlock");
  *(void **)&fl.close = entry(lib, "fl_close");
  if (!fl.version || !fl.check_version || !fl.last_error || !fl.open || !fl.lock ||
      !fl.unlock || !fl.close)
    return 1;
  int rc = run_consumer_checks(&fl, argv[1], argv[2]);
  dlclose(lib);
  return rc;
}
