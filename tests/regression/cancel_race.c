/* A cancel racing a release must end the wait either way (acquired or FL_ECANCELED),
 * never crash: the waiter thread may be cancelled just as it reports its result.
 * usage: cancel_race DIR ROUNDS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "filelock.h"

static fl_handle *holder, *waiter;
static int delay_us;

static void sleep_us(int us) {
  struct timespec ts = {0, us * 1000L};
  nanosleep(&ts, NULL);
}

static void *release(void *arg) {
  (void)arg;
  sleep_us(delay_us);
  fl_unlock(holder);
  return NULL;
}

static void *cancel(void *arg) {
  (void)arg;
  sleep_us(delay_us);
  fl_cancel(waiter);
  return NULL;
}

int main(int argc, char **argv) {
  char path[4096];
  int rounds, acquired = 0, canceled = 0;
  if (argc < 3) return 2;
  snprintf(path, sizeof path, "%s/race.json", argv[1]);
  rounds = atoi(argv[2]);
  if (fl_open(&holder, path, NULL) != FL_OK || fl_open(&waiter, path, NULL) != FL_OK) {
    fprintf(stderr, "open: %s\n", fl_last_error());
    return 1;
  }
  srand(12345);
  for (int i = 0; i < rounds; i++) {
    pthread_t a, b;
    int rc;
    /* Not FL_NOWAIT: where a wait's waiter is parked (macOS), the last round's waiter
     * may still be taking the lock to let it go at once. */
    if (fl_lock(holder, FL_EXCLUSIVE, 2000) != FL_OK) {
      fprintf(stderr, "round %d: holder: %s\n", i, fl_last_error());
      return 1;
    }
    delay_us = rand() % 2000;
    pthread_create(&a, NULL, release, NULL);
    pthread_create(&b, NULL, cancel, NULL);
    rc = fl_lock(waiter, FL_EXCLUSIVE, 3600000);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    if (rc == FL_OK) {
      acquired++;
    } else if (rc == FL_ECANCELED) {
      canceled++;
    } else {
      fprintf(stderr, "round %d: %d %s\n", i, rc, fl_last_error());
      return 1;
    }
    fl_unlock(waiter); /* releases, and clears a cancel that came after the wait */
  }
  fl_close(waiter);
  fl_close(holder);
  printf("%d rounds: %d acquired, %d canceled\n", rounds, acquired, canceled);
  return 0;
}
