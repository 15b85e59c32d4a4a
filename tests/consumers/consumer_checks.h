/* What every consumer checks, whichever way it found the library: the version it
 * loaded and a real lock. A consumer fills a table of entry points (by linking or by
 * dlsym) and calls run_consumer_checks(). */
#ifndef FILELOCK_CONSUMER_CHECKS_H
#define FILELOCK_CONSUMER_CHECKS_H

#include <stdio.h>
#include <string.h>

#include <filelock.h>

struct fl_entry_points {
  const char *(*version)(void);
  int (*check_version)(int);
  const char *(*last_error)(void);
  int (*open)(fl_handle **, const char *, const fl_lock_options *);
  int (*lock)(fl_handle *, int, int64_t);
  int (*unlock)(fl_handle *);
  void (*close)(fl_handle *);
};

#define CONSUMER_EXPECT(cond, fl)                                                    \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond,            \
              (fl)->last_error());                                                   \
      return 1;                                                                      \
    }                                                                                \
  } while (0)

/* Two handles on one path: while the first holds the exclusive lock, the second
 * cannot take it; once released, it can. */
static int run_consumer_checks(const struct fl_entry_points *fl, const char *name,
                               const char *path) {
  fl_handle *first = NULL, *second = NULL;
  CONSUMER_EXPECT(strcmp(fl->version(), FILELOCK_VERSION_STRING) == 0, fl);
  CONSUMER_EXPECT(fl->check_version(FILELOCK_VERSION_NUMBER) == FL_OK, fl);
  CONSUMER_EXPECT(fl->open(&first, path, NULL) == FL_OK, fl);
  CONSUMER_EXPECT(fl->open(&second, path, NULL) == FL_OK, fl);
  CONSUMER_EXPECT(fl->lock(first, FL_EXCLUSIVE, FL_NOWAIT) == FL_OK, fl);
  CONSUMER_EXPECT(fl->lock(second, FL_EXCLUSIVE, FL_NOWAIT) == FL_EBUSY, fl);
  CONSUMER_EXPECT(fl->unlock(first) == FL_OK, fl);
  CONSUMER_EXPECT(fl->lock(second, FL_EXCLUSIVE, FL_NOWAIT) == FL_OK, fl);
  CONSUMER_EXPECT(fl->unlock(second) == FL_OK, fl);
  fl->close(first);
  fl->close(second);
  printf("%s: filelock %s, lock taken, contended and released\n", name, fl->version());
  return 0;
}

#endif
