/* The C example of README.md: a lock on input.csv, then a transaction on pipeline.json
 * (both in the current directory). */
#include <stdio.h>

#include "filelock.h"

int main(void) {
  fl_handle *lock;
  fl_state *state;
  fl_txn *txn;
  char *doc;
  uint64_t generation;

  /* A lock on input.csv (the lock file is input.csv.lock beside it). */
  if (fl_open(&lock, "input.csv", NULL) != FL_OK || fl_lock(lock, FL_EXCLUSIVE, 5000) != FL_OK) {
    fprintf(stderr, "%s\n", fl_last_error());
    return 1;
  }
  /* ... the file is ours until fl_unlock or fl_close ... */
  fl_close(lock);

  /* A transaction on a JSON state file: exclusive lock, edit, atomic durable commit. */
  if (fl_state_open(&state, "pipeline.json", NULL) != FL_OK || fl_txn_begin(state, &txn) != FL_OK) {
    fprintf(stderr, "%s\n", fl_last_error());
    return 1;
  }
  fl_txn_set(txn, "/phases/phase1/status", "\"done\"");
  if (fl_txn_commit(txn) != FL_OK) {
    fprintf(stderr, "%s\n", fl_last_error());
    return 1;
  }
  fl_state_read(state, &doc, &generation);
  printf("generation %llu: %s\n", (unsigned long long)generation, doc);
  fl_free(doc);
  fl_state_close(state);
  return 0;
}
