/* Uses the lock API from C99: every call's status is checked. */
#define _POSIX_C_SOURCE 200809L
#define _DARWIN_C_SOURCE /* mkdtemp on macOS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filelock.h"

static int failures = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, \
              __LINE__, #cond, fl_last_error());                           \
      failures++;                                                          \
    }                                                                      \
  } while (0)

int main(void) {
  char dir[] = "/tmp/filelock-c-XXXXXX";
  char path[256], lock_path[256];
  fl_lock_options opts;
  fl_handle *a = NULL, *b = NULL;
  char *info = NULL;

  if (mkdtemp(dir) == NULL) return 2;
  snprintf(path, sizeof path, "%s/data.json", dir);
  snprintf(lock_path, sizeof lock_path, "%s/data.json.lock", dir);

  CHECK(FL_CHECK_VERSION() == FL_OK);
  CHECK(strcmp(fl_version(), FILELOCK_VERSION_STRING) == 0);
  fl_lock_options_init(&opts);
  opts.owner = "c-test";
  CHECK(fl_open(&a, path, &opts) == FL_OK);
  CHECK(fl_open(&b, path, NULL) == FL_OK);
  CHECK(a != NULL && strcmp(fl_lock_path(a), lock_path) == 0);
  CHECK(fl_lock(a, FL_EXCLUSIVE, FL_NOWAIT) == FL_OK);
  CHECK(fl_is_locked(a) == 1);
  CHECK(fl_lock(b, FL_SHARED, FL_NOWAIT) == FL_EBUSY);
  CHECK(strstr(fl_last_error(), lock_path) != NULL);
  CHECK(strcmp(fl_strerror(FL_EBUSY), "lock is held") == 0);
  CHECK(fl_lock(b, FL_SHARED, 10) == FL_ETIMEOUT);
  CHECK(fl_query(path, NULL, &info) == FL_OK);
  CHECK(info != NULL && strstr(info, "\"locked\":true") != NULL);
  fl_free(info);
  CHECK(fl_unlock(a) == FL_OK);
  CHECK(fl_unlock(a) == FL_ENOTLOCKED);
  CHECK(fl_lock(b, FL_SHARED, FL_NOWAIT) == FL_OK);
  CHECK(fl_lock(a, FL_SHARED, FL_NOWAIT) == FL_OK);
  {
    /* Since 1.4: a per-call cancel token, from C. */
    fl_cancel_token *token = NULL;
    fl_wait_opts wait;
    fl_wait_opts_init(&wait);
    CHECK(wait.size == sizeof wait && wait.timeout_ms == FL_TIMEOUT_DEFAULT && wait.cancel == NULL);
    CHECK(fl_cancel_token_create(&token) == FL_OK);
    wait.cancel = token;
    CHECK(fl_unlock(b) == FL_OK);
    fl_cancel_token_trigger(token);
    CHECK(fl_cancel_token_is_triggered(token) == 1);
    CHECK(fl_lock_with(b, FL_SHARED, &wait) == FL_ECANCELED);
    fl_cancel_token_reset(token);
    CHECK(fl_lock_with(b, FL_SHARED, &wait) == FL_OK);
    fl_cancel_token_free(token);
  }
  fl_close(a);
  fl_close(b);
  fl_close(NULL);
  unlink(lock_path);
  rmdir(dir);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
