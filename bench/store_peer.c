/*
 * store_peer.c — the peers of bench/store.sh: SQLite (WAL, synchronous=FULL) and LMDB (default, synced commits)
 * run the same workloads as Samples/store-bench, through their C APIs, on a file in the same file system.
 *
 *   store_peer sqlite|lmdb DIR WORKLOAD COUNT
 *
 * WORKLOAD (keys are "k%015llu", 16 bytes; values 100 bytes):
 *   put1      COUNT durable single-key puts, one writer (one transaction each)
 *   put16     COUNT durable single-key puts from 16 threads at once (one transaction each)
 *   load      COUNT keys in transactions of 1,000
 *   get       loads COUNT keys (not timed), then COUNT random gets (timed, warm)
 *   scan      loads COUNT keys (not timed), then scans every key with prefix "k" (timed)
 *   overwrite loads COUNT keys (not timed), then COUNT random overwrites in transactions of 1,000, then reports bytes
 *             on disk (the database files' allocated size)
 * Prints one line: `WORKLOAD PEER ops=N ns=T bytes=B` (bytes only for overwrite, else 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define KEY_LEN 16
#define VALUE_LEN 100
#define BATCH 1000
#define THREADS 16

static const char *peer;
static const char *dir;
static char path[4096];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "store_peer %s: %s: %s\n", peer, what, detail);
    exit(1);
}

static void make_key(char *key, uint64_t n) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "k%015llu", (unsigned long long)(n % 1000000000000000ull));
    memcpy(key, tmp, KEY_LEN);
}

static void make_value(char *value, uint64_t n) {
    for (int i = 0; i < VALUE_LEN; i++) value[i] = (char)('a' + (n + (uint64_t)i) % 26);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static long long allocated_bytes(const char *file) {
    struct stat st;
    if (stat(file, &st) != 0) return 0;
    return (long long)st.st_blocks * 512;
}

/* ---- SQLite ---------------------------------------------------------------------------------------------------- */

static sqlite3 *sqlite_open(void) {
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/peer.sqlite", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
        die("open", sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 60000);
    char *err = NULL;
    if (sqlite3_exec(db,
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
            "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;",
            NULL, NULL, &err) != SQLITE_OK)
        die("setup", err);
    return db;
}

static void sqlite_exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die(sql, err);
}

static void sqlite_put(sqlite3 *db, sqlite3_stmt *put, uint64_t n) {
    char key[KEY_LEN], value[VALUE_LEN];
    make_key(key, n);
    make_value(value, n);
    sqlite3_bind_blob(put, 1, key, KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(put, 2, value, VALUE_LEN, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(put)) == SQLITE_BUSY) {}
    if (rc != SQLITE_DONE) die("put", sqlite3_errmsg(db));
    sqlite3_reset(put);
}

static void sqlite_load(sqlite3 *db, uint64_t count, uint64_t *state, int random_keys) {
    sqlite3_stmt *put;
    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)", -1, &put, NULL);
    for (uint64_t i = 0; i < count; i += BATCH) {
        sqlite_exec(db, "BEGIN");
        for (uint64_t j = i; j < i + BATCH && j < count; j++)
            sqlite_put(db, put, random_keys ? next_random(state) % count : j);
        sqlite_exec(db, "COMMIT");
    }
    sqlite3_finalize(put);
}

struct sqlite_thread { uint64_t first, count; };

static void *sqlite_writer(void *arg) {
    struct sqlite_thread *t = arg;
    sqlite3 *db = sqlite_open();
    sqlite3_stmt *put;
    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)", -1, &put, NULL);
    for (uint64_t i = 0; i < t->count; i++) sqlite_put(db, put, t->first + i);
    sqlite3_finalize(put);
    sqlite3_close(db);
    return NULL;
}

static void run_sqlite(const char *workload, uint64_t count) {
    sqlite3 *db = sqlite_open();
    uint64_t start = 0, end = 0, ops = count;
    long long bytes = 0;
    if (strcmp(workload, "put1") == 0) {
        sqlite3_stmt *put;
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)", -1, &put, NULL);
        start = now_ns();
        for (uint64_t i = 0; i < count; i++) sqlite_put(db, put, i);
        end = now_ns();
        sqlite3_finalize(put);
    } else if (strcmp(workload, "put16") == 0) {
        pthread_t threads[THREADS];
        struct sqlite_thread args[THREADS];
        start = now_ns();
        for (int i = 0; i < THREADS; i++) {
            args[i].first = (uint64_t)i * count;
            args[i].count = count / THREADS;
            pthread_create(&threads[i], NULL, sqlite_writer, &args[i]);
        }
        for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
        end = now_ns();
        ops = (count / THREADS) * THREADS;
    } else if (strcmp(workload, "load") == 0) {
        start = now_ns();
        sqlite_load(db, count, &rng_state, 0);
        end = now_ns();
    } else if (strcmp(workload, "get") == 0 || strcmp(workload, "scan") == 0) {
        sqlite_load(db, count, &rng_state, 0);
        sqlite3_stmt *q;
        int scan = strcmp(workload, "scan") == 0;
        sqlite3_prepare_v2(db, scan ? "SELECT k, v FROM kv WHERE k >= ?1 AND k < ?2 ORDER BY k"
                                    : "SELECT v FROM kv WHERE k = ?1", -1, &q, NULL);
        uint64_t found = 0;
        start = now_ns();
        if (scan) {
            sqlite3_bind_blob(q, 1, "k", 1, SQLITE_STATIC);
            sqlite3_bind_blob(q, 2, "l", 1, SQLITE_STATIC);
            while (sqlite3_step(q) == SQLITE_ROW) found++;
        } else {
            uint64_t state = 42;
            for (uint64_t i = 0; i < count; i++) {
                char key[KEY_LEN];
                make_key(key, next_random(&state) % count);
                sqlite3_bind_blob(q, 1, key, KEY_LEN, SQLITE_TRANSIENT);
                if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == VALUE_LEN) found++;
                sqlite3_reset(q);
            }
        }
        end = now_ns();
        sqlite3_finalize(q);
        if (found != count) { fprintf(stderr, "found %llu of %llu\n", (unsigned long long)found, (unsigned long long)count); exit(1); }
    } else if (strcmp(workload, "overwrite") == 0) {
        sqlite_load(db, count, &rng_state, 0);
        uint64_t state = 7;
        start = now_ns();
        sqlite_load(db, count, &state, 1);
        end = now_ns();
        sqlite_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
        char wal[4200];
        snprintf(wal, sizeof wal, "%s-wal", path);
        bytes = allocated_bytes(path) + allocated_bytes(wal);
    } else {
        die("workload", workload);
    }
    sqlite3_close(db);
    printf("%s sqlite ops=%llu ns=%llu bytes=%lld\n", workload, (unsigned long long)ops,
        (unsigned long long)(end - start), bytes);
}

/* ---- LMDB ------------------------------------------------------------------------------------------------------ */

static MDB_env *env;
static MDB_dbi dbi;

static void lmdb_check(int rc, const char *what) {
    if (rc != 0) die(what, mdb_strerror(rc));
}

static void lmdb_open(void) {
    lmdb_check(mdb_env_create(&env), "env_create");
    lmdb_check(mdb_env_set_mapsize(env, (size_t)8 << 30), "set_mapsize");
    lmdb_check(mdb_env_open(env, dir, 0, 0644), "env_open");
    MDB_txn *txn;
    lmdb_check(mdb_txn_begin(env, NULL, 0, &txn), "txn_begin");
    lmdb_check(mdb_dbi_open(txn, NULL, 0, &dbi), "dbi_open");
    lmdb_check(mdb_txn_commit(txn), "commit");
}

static void lmdb_put(MDB_txn *txn, uint64_t n) {
    char key[KEY_LEN], value[VALUE_LEN];
    make_key(key, n);
    make_value(value, n);
    MDB_val k = {KEY_LEN, key}, v = {VALUE_LEN, value};
    lmdb_check(mdb_put(txn, dbi, &k, &v, 0), "put");
}

static void lmdb_load(uint64_t count, uint64_t *state, int random_keys) {
    for (uint64_t i = 0; i < count; i += BATCH) {
        MDB_txn *txn;
        lmdb_check(mdb_txn_begin(env, NULL, 0, &txn), "txn_begin");
        for (uint64_t j = i; j < i + BATCH && j < count; j++) lmdb_put(txn, random_keys ? next_random(state) % count : j);
        lmdb_check(mdb_txn_commit(txn), "commit");
    }
}

struct lmdb_thread { uint64_t first, count; };

static void *lmdb_writer(void *arg) {
    struct lmdb_thread *t = arg;
    for (uint64_t i = 0; i < t->count; i++) {
        MDB_txn *txn;
        lmdb_check(mdb_txn_begin(env, NULL, 0, &txn), "txn_begin");
        lmdb_put(txn, t->first + i);
        lmdb_check(mdb_txn_commit(txn), "commit");
    }
    return NULL;
}

static void run_lmdb(const char *workload, uint64_t count) {
    lmdb_open();
    uint64_t start = 0, end = 0, ops = count;
    long long bytes = 0;
    if (strcmp(workload, "put1") == 0) {
        start = now_ns();
        for (uint64_t i = 0; i < count; i++) {
            MDB_txn *txn;
            lmdb_check(mdb_txn_begin(env, NULL, 0, &txn), "txn_begin");
            lmdb_put(txn, i);
            lmdb_check(mdb_txn_commit(txn), "commit");
        }
        end = now_ns();
    } else if (strcmp(workload, "put16") == 0) {
        pthread_t threads[THREADS];
        struct lmdb_thread args[THREADS];
        start = now_ns();
        for (int i = 0; i < THREADS; i++) {
            args[i].first = (uint64_t)i * count;
            args[i].count = count / THREADS;
            pthread_create(&threads[i], NULL, lmdb_writer, &args[i]);
        }
        for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
        end = now_ns();
        ops = (count / THREADS) * THREADS;
    } else if (strcmp(workload, "load") == 0) {
        start = now_ns();
        lmdb_load(count, &rng_state, 0);
        end = now_ns();
    } else if (strcmp(workload, "get") == 0 || strcmp(workload, "scan") == 0) {
        lmdb_load(count, &rng_state, 0);
        MDB_txn *txn;
        lmdb_check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "txn_begin");
        uint64_t found = 0;
        start = now_ns();
        if (strcmp(workload, "scan") == 0) {
            MDB_cursor *cursor;
            lmdb_check(mdb_cursor_open(txn, dbi, &cursor), "cursor");
            MDB_val k = {1, "k"}, v;
            int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
            while (rc == 0 && k.mv_size > 0 && ((char *)k.mv_data)[0] == 'k') {
                found++;
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
            }
            mdb_cursor_close(cursor);
        } else {
            uint64_t state = 42;
            for (uint64_t i = 0; i < count; i++) {
                char key[KEY_LEN];
                make_key(key, next_random(&state) % count);
                MDB_val k = {KEY_LEN, key}, v;
                if (mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size == VALUE_LEN) found++;
            }
        }
        end = now_ns();
        mdb_txn_abort(txn);
        if (found != count) { fprintf(stderr, "found %llu of %llu\n", (unsigned long long)found, (unsigned long long)count); exit(1); }
    } else if (strcmp(workload, "overwrite") == 0) {
        lmdb_load(count, &rng_state, 0);
        uint64_t state = 7;
        start = now_ns();
        lmdb_load(count, &state, 1);
        end = now_ns();
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        bytes = allocated_bytes(path);
    } else {
        die("workload", workload);
    }
    mdb_env_close(env);
    printf("%s lmdb ops=%llu ns=%llu bytes=%lld\n", workload, (unsigned long long)ops,
        (unsigned long long)(end - start), bytes);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: store_peer sqlite|lmdb DIR put1|put16|load|get|scan|overwrite COUNT\n");
        return 2;
    }
    peer = argv[1];
    dir = argv[2];
    uint64_t count = strtoull(argv[4], NULL, 10);
    if (count == 0) { fprintf(stderr, "store_peer: COUNT must be a positive number\n"); return 2; }
    if (strcmp(peer, "sqlite") == 0) run_sqlite(argv[3], count);
    else if (strcmp(peer, "lmdb") == 0) run_lmdb(argv[3], count);
    else { fprintf(stderr, "store_peer: unknown peer %s (sqlite or lmdb)\n", peer); return 2; }
    return 0;
}
