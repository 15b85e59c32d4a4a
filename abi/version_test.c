/* fl_version(), fl_version_number() and fl_check_version() against the header's
 * macros and the project version the build was configured with. Plain C: the
 * header must also compile as C. */
#include <stdio.h>
#include <string.h>

#include "filelock.h"

static int failures;

#define EXPECT(cond, ...)                                          \
  do {                                                             \
    if (!(cond)) {                                                 \
      failures++;                                                  \
      printf("FAIL line %d: %s: ", __LINE__, #cond);               \
      printf(__VA_ARGS__);                                         \
      printf("\n");                                                \
    }                                                              \
  } while (0)

static int encode(int major, int minor, int patch) { return major * 10000 + minor * 100 + patch; }

int main(void) {
  char parts[32];
  snprintf(parts, sizeof parts, "%d.%d.%d", FILELOCK_VERSION_MAJOR, FILELOCK_VERSION_MINOR,
           FILELOCK_VERSION_PATCH);
  EXPECT(strcmp(parts, FILELOCK_VERSION_STRING) == 0, "macros say %s and %s", parts,
         FILELOCK_VERSION_STRING);
  EXPECT(strcmp(FILELOCK_VERSION_STRING, FILELOCK_PROJECT_VERSION) == 0,
         "header %s, CMake project %s", FILELOCK_VERSION_STRING, FILELOCK_PROJECT_VERSION);
  EXPECT(strcmp(fl_version(), FILELOCK_VERSION_STRING) == 0, "library says %s", fl_version());
  EXPECT(fl_version_number() == FILELOCK_VERSION_NUMBER, "library says %d",
         fl_version_number());
  EXPECT(FILELOCK_VERSION_NUMBER ==
             encode(FILELOCK_VERSION_MAJOR, FILELOCK_VERSION_MINOR, FILELOCK_VERSION_PATCH),
         "%d", FILELOCK_VERSION_NUMBER);

  /* Built against this header, or an older one of the same major: fine. */
  EXPECT(FL_CHECK_VERSION() == FL_OK, "%s", fl_last_error());
  EXPECT(fl_check_version(encode(FILELOCK_VERSION_MAJOR, 0, 0)) == FL_OK, "%s", fl_last_error());

  /* Built against a newer header than the library loaded: refused with a message. */
  const int newer = FILELOCK_VERSION_NUMBER + 1;
  EXPECT(fl_check_version(newer) == FL_EUNSUPPORTED, "newer patch accepted");
  char expected[128];
  snprintf(expected, sizeof expected, "built against filelock %d.%d.%d but loaded %s",
           newer / 10000, newer / 100 % 100, newer % 100, FILELOCK_VERSION_STRING);
  EXPECT(strstr(fl_last_error(), expected) != NULL, "message '%s'", fl_last_error());
  EXPECT(fl_check_version(encode(FILELOCK_VERSION_MAJOR, FILELOCK_VERSION_MINOR + 1, 0)) ==
             FL_EUNSUPPORTED,
         "newer minor accepted");

  /* Another major is another ABI, older or newer. */
  EXPECT(fl_check_version(encode(FILELOCK_VERSION_MAJOR + 1, 0, 0)) == FL_EUNSUPPORTED,
         "next major accepted");
  EXPECT(fl_check_version(encode(FILELOCK_VERSION_MAJOR - 1, 99, 99)) == FL_EUNSUPPORTED,
         "previous major accepted");

  if (failures == 0) printf("version checks passed (%s)\n", fl_version());
  return failures == 0 ? 0 : 1;
}
