// filelock-bench-sqlite: the same 1 KiB read-modify-write kept in SQLite instead,
// one transaction = BEGIN IMMEDIATE; SELECT; UPDATE; COMMIT, in the journal modes
// people reach for. Prints "sqlite.MODE_SYNC_us value" lines for bench/report.py.
// Usage: filelock-bench-sqlite [--quick] DIR
#include <sqlite3.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "harness.hpp"

namespace {

void exec(sqlite3 *db, const std::string &sql) {
  char *err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    bench::die("sqlite " + sql + ": " + msg);
  }
}

void run(const std::string &dir, const char *journal, const char *sync, int rounds, int batch) {
  const std::string path = dir + "/bench_" + journal + "_" + sync + ".db";
  for (const char *suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
  sqlite3 *db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) bench::die("sqlite open " + path);
  exec(db, std::string("PRAGMA journal_mode=") + journal + "; PRAGMA synchronous=" + sync + ";");
  exec(db, "CREATE TABLE s(k INTEGER PRIMARY KEY, doc TEXT);");
  std::string doc(1024, 'x');
  exec(db, "INSERT INTO s VALUES(1, '" + doc + "');");
  sqlite3_stmt *sel = nullptr, *upd = nullptr;
  sqlite3_prepare_v2(db, "SELECT doc FROM s WHERE k=1", -1, &sel, nullptr);
  sqlite3_prepare_v2(db, "UPDATE s SET doc=? WHERE k=1", -1, &upd, nullptr);
  long i = 0;
  auto txn = [&] {
    exec(db, "BEGIN IMMEDIATE");
    if (sqlite3_step(sel) != SQLITE_ROW) bench::die("sqlite select: " + std::string(sqlite3_errmsg(db)));
    doc.assign(reinterpret_cast<const char *>(sqlite3_column_text(sel, 0)));
    sqlite3_reset(sel);
    doc[static_cast<size_t>(i++) % doc.size()] ^= 1;
    sqlite3_bind_text(upd, 1, doc.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(upd) != SQLITE_DONE) bench::die("sqlite update: " + std::string(sqlite3_errmsg(db)));
    sqlite3_reset(upd);
    exec(db, "COMMIT");
  };
  std::string name = std::string("sqlite.") + journal + "_" + sync + "_1k_us";
  for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bench::run_and_emit({{name, txn}}, rounds, batch);
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  sqlite3_close(db);
  for (const char *suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

}  // namespace

int main(int argc, char **argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (argc != (quick ? 3 : 2)) {
    std::fprintf(stderr, "usage: filelock-bench-sqlite [--quick] DIR\n");
    return 2;
  }
  const std::string dir = argv[quick ? 2 : 1];
  run(dir, "WAL", "NORMAL", quick ? 1 : 20, quick ? 2 : 500);
  run(dir, "WAL", "FULL", quick ? 1 : 20, quick ? 2 : 50);
  run(dir, "DELETE", "FULL", quick ? 1 : 20, quick ? 2 : 15);
  return 0;
}
