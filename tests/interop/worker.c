/* Interop worker in C: the same protocol as the Python, Go and C# workers.
 *   worker PATH ID N   N transactions, each adding one to /count and to /workers/ID,
 *                      printing "ack I" once commit I has returned FL_OK
 *   worker PATH read   prints the document's /count
 * FILELOCK_WORKER_JOURNAL=BYTES in the environment opens the state with that
 * journal_max_bytes (commits append to a journal, checkpointed past BYTES). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filelock.h"

static int fail(const char *what) {
  fprintf(stderr, "worker-c: %s: %s\n", what, fl_last_error());
  return 1;
}

/* The integer at pointer, or 0 when it does not exist yet. */
static int get_int(fl_txn *t, const char *pointer, long long *out) {
  char *json = NULL;
  int rc = fl_txn_get(t, pointer, &json);
  if (rc == FL_ENOTFOUND) {
    *out = 0;
    return FL_OK;
  }
  if (rc != FL_OK) return rc;
  *out = strtoll(json, NULL, 10);
  fl_free(json);
  return FL_OK;
}

static int add_one(fl_txn *t, const char *pointer) {
  long long v;
  char text[32];
  int rc = get_int(t, pointer, &v);
  if (rc != FL_OK) return rc;
  snprintf(text, sizeof text, "%lld", v + 1);
  return fl_txn_set(t, pointer, text);
}

int main(int argc, char **argv) {
  fl_state *st;
  if (argc < 3) {
    fprintf(stderr, "usage: worker PATH ID N | worker PATH read\n");
    return 2;
  }
  fl_state_options o;
  fl_state_options_init(&o);
  const char *journal = getenv("FILELOCK_WORKER_JOURNAL");
  if (journal != NULL) o.journal_max_bytes = strtoll(journal, NULL, 10);
  if (fl_state_open(&st, argv[1], &o) != FL_OK) return fail("open");
  if (strcmp(argv[2], "read") == 0) {
    fl_txn *t;
    long long count;
    if (fl_txn_begin(st, &t) != FL_OK) return fail("begin");
    if (get_int(t, "/count", &count) != FL_OK) return fail("get /count");
    fl_txn_rollback(t);
    printf("%lld\n", count);
  } else {
    char pointer[256];
    int n = argc > 3 ? atoi(argv[3]) : 0;
    snprintf(pointer, sizeof pointer, "/workers/%s", argv[2]);
    for (int i = 1; i <= n; i++) {
      fl_txn *t;
      if (fl_txn_begin(st, &t) != FL_OK) return fail("begin");
      if (add_one(t, "/count") != FL_OK || add_one(t, pointer) != FL_OK) {
        fl_txn_rollback(t);
        return fail("set");
      }
      if (fl_txn_commit(t) != FL_OK) return fail("commit");
      printf("ack %d\n", i);
      fflush(stdout);
    }
  }
  fl_state_close(st);
  return 0;
}
