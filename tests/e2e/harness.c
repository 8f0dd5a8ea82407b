/*
 * harness — the end-to-end test harness (see harness.h): the scimd child process and its
 * temporary directory, scimctl runs, HTTP through libcurl and raw sockets, raw SQL for test setup,
 * and cmocka assertions that show the response and the end of scimd's log when they fail.
 * Owns: processes it started (and only those) and files under its temporary directories.
 * Must not: link daemon code; the only way in is HTTP, scimctl, and the explicit SQL helpers.
 */
#include "harness.h"

#include "json.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 20000
#define RAW_TIMEOUT_MS 15000
#define MAX_ARGS 48
#define LISTEN_MARK "listening on 127.0.0.1:"

/* A growable byte buffer, always NUL-terminated once anything was appended. */
struct growbuf {
    char *data;
    size_t len;
    size_t cap;
};

static void gb_append(struct growbuf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = scim_realloc(b->data, cap);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Returns the buffer's text (never NULL) and leaves the buffer empty. */
static char *gb_take(struct growbuf *b)
{
    if (!b->data)
        gb_append(b, "", 0);
    char *text = b->data;
    memset(b, 0, sizeof(*b));
    return text;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void global_cleanup(void)
{
    curl_global_cleanup();
}

static void global_init(void)
{
    scim_mem_init();
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    atexit(global_cleanup);
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && v[0] ? v : fallback;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads a whole file from offset into a new string; NULL when it cannot be opened. */
static char *read_file_from(const char *path, off_t offset, size_t *len_out)
{
    struct growbuf b = {0};
    char chunk[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (offset > 0 && lseek(fd, offset, SEEK_SET) < 0) {
        close(fd);
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        gb_append(&b, chunk, (size_t)n);
    }
    close(fd);
    if (len_out)
        *len_out = b.len;
    return gb_take(&b);
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Parses the port that follows the "listening on" mark; 0 when not (yet) there. */
static uint16_t find_port(const char *log)
{
    const char *mark = strstr(log, LISTEN_MARK);
    if (!mark)
        return 0;
    const char *digits = mark + strlen(LISTEN_MARK);
    char *end = NULL;
    long port = strtol(digits, &end, 10);
    if (end == digits || port <= 0 || port > 65535)
        return 0;
    return (uint16_t)port;
}

/* Reaps the child without blocking; returns true (and fills *status) when it has exited. */
static bool reap(struct e2e_server *srv, int *status)
{
    int st = 0;
    pid_t r = waitpid(srv->pid, &st, WNOHANG);
    if (r == srv->pid || (r < 0 && errno == ECHILD)) {
        srv->pid = 0;
        if (status)
            *status = st;
        return true;
    }
    return false;
}

static int spawn_scimd(struct e2e_server *srv)
{
    int rc = -1;
    const char *bin = env_or("SCIMD_BIN", "build/san/scimd");
    const char *argv[MAX_ARGS];
    size_t argc = 0;
    argv[argc++] = bin;
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    argv[argc++] = "--database";
    argv[argc++] = srv->db;
    for (size_t i = 0; srv->extra_args && srv->extra_args[i] && argc < MAX_ARGS - 1; i++)
        argv[argc++] = srv->extra_args[i];
    argv[argc] = NULL;

    off_t offset = file_size(srv->log);
    int log_fd = open(srv->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        fprintf(stderr, "e2e: cannot open %s: %s\n", srv->log, strerror(errno));
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "e2e: fork failed: %s\n", strerror(errno));
        close(log_fd);
        goto out;
    }
    if (pid == 0) {
        /* The child: scimd must not outlive a crashed test process. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0)
            dup2(null_fd, 0);
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        execv(bin, (char *const *)argv);
        dprintf(2, "e2e: cannot execute %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(log_fd);
    srv->pid = pid;
    srv->port = 0;
    int64_t deadline = now_ms() + START_TIMEOUT_MS;
    while (now_ms() < deadline) {
        char *text = read_file_from(srv->log, offset, NULL);
        uint16_t port = text ? find_port(text) : 0;
        scim_free(text);
        if (port) {
            srv->port = port;
            rc = 0;
            goto out;
        }
        int status = 0;
        if (reap(srv, &status)) {
            fprintf(stderr, "e2e: scimd (%s) exited during start-up (wait status %d)\n", bin,
                    status);
            e2e_server_dump_log(srv);
            goto out;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "e2e: scimd did not log '%s<port>' within %d ms\n", LISTEN_MARK,
            START_TIMEOUT_MS);
    e2e_server_dump_log(srv);
    e2e_server_kill(srv);
out:
    return rc;
}

int e2e_server_start(const char *const *extra_args, struct e2e_server **out)
{
    int rc = -1;
    pthread_once(&init_once, global_init);
    struct e2e_server *srv = scim_calloc(1, sizeof(*srv));
    snprintf(srv->dir, sizeof(srv->dir), "%s/scimd-e2e-XXXXXX", env_or("TMPDIR", "/tmp"));
    if (!mkdtemp(srv->dir)) {
        fprintf(stderr, "e2e: mkdtemp %s: %s\n", srv->dir, strerror(errno));
        srv->dir[0] = '\0';
        goto out;
    }
    snprintf(srv->db, sizeof(srv->db), "%s/scimd.db", srv->dir);
    snprintf(srv->log, sizeof(srv->log), "%s/scimd.log", srv->dir);
    size_t n = 0;
    while (extra_args && extra_args[n])
        n++;
    srv->extra_args = scim_calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        srv->extra_args[i] = scim_strdup(extra_args[i]);
    rc = spawn_scimd(srv);
    if (rc < 0)
        goto out;
    *out = srv;
    srv = NULL;
out:
    e2e_server_free(srv);
    return rc;
}

int e2e_setup(const char *const *extra_args, struct e2e_server **out)
{
    int rc = -1;
    struct e2e_server *srv = NULL;
    if (e2e_server_start(extra_args, &srv) < 0)
        goto out;
    if (e2e_tenant_create(srv, "e2e") != 0) {
        fprintf(stderr, "e2e: scimctl tenant create e2e failed (see %s/scimctl.log)\n", srv->dir);
        goto out;
    }
    srv->tenant = scim_strdup("e2e");
    srv->token = e2e_token_create(srv, "e2e", "e2e default token", 1);
    if (!srv->token)
        goto out;
    *out = srv;
    srv = NULL;
    rc = 0;
out:
    e2e_server_free(srv);
    return rc;
}

int e2e_server_restart(struct e2e_server *srv)
{
    if (srv->pid) {
        fprintf(stderr, "e2e: restart while scimd (pid %d) still runs\n", (int)srv->pid);
        return -1;
    }
    return spawn_scimd(srv);
}

void e2e_server_signal(struct e2e_server *srv, int sig)
{
    if (srv->pid)
        kill(srv->pid, sig);
}

int e2e_server_wait(struct e2e_server *srv, int timeout_ms)
{
    int status = 0;
    if (!srv->pid)
        return -1;
    int64_t deadline = now_ms() + timeout_ms;
    while (now_ms() < deadline) {
        if (reap(srv, &status)) {
            if (WIFEXITED(status))
                return WEXITSTATUS(status);
            if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
            return -1;
        }
        sleep_ms(10);
    }
    return -1;
}

int e2e_server_stop(struct e2e_server *srv)
{
    if (!srv->pid)
        return -1;
    e2e_server_signal(srv, SIGTERM);
    int status = e2e_server_wait(srv, STOP_TIMEOUT_MS);
    if (status == -1 && srv->pid) {
        fprintf(stderr, "e2e: scimd did not stop within %d ms of SIGTERM; killing it\n",
                STOP_TIMEOUT_MS);
        e2e_server_kill(srv);
    }
    return status;
}

void e2e_server_kill(struct e2e_server *srv)
{
    if (!srv->pid)
        return;
    kill(srv->pid, SIGKILL);
    waitpid(srv->pid, NULL, 0);
    srv->pid = 0;
}

bool e2e_server_alive(struct e2e_server *srv)
{
    return srv->pid != 0 && !reap(srv, NULL);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void e2e_server_free(struct e2e_server *srv)
{
    if (!srv)
        return;
    e2e_server_kill(srv);
    if (srv->dir[0]) {
        if (getenv("E2E_KEEP"))
            fprintf(stderr, "e2e: kept %s\n", srv->dir);
        else
            nftw(srv->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    }
    for (size_t i = 0; srv->extra_args && srv->extra_args[i]; i++)
        scim_free(srv->extra_args[i]);
    scim_free(srv->extra_args);
    scim_free(srv->tenant);
    scim_free(srv->token);
    scim_free(srv);
}

int e2e_teardown(struct e2e_server *srv)
{
    if (!srv)
        return -1;
    int status = e2e_server_stop(srv);
    if (status != 0) {
        fprintf(stderr, "e2e: scimd exit status after SIGTERM was %d, expected 0\n", status);
        e2e_server_dump_log(srv);
    }
    e2e_server_free(srv);
    return status == 0 ? 0 : -1;
}

char *e2e_server_read_log(const struct e2e_server *srv)
{
    char *text = read_file_from(srv->log, 0, NULL);
    return text ? text : scim_strdup("");
}

void e2e_server_dump_log(const struct e2e_server *srv)
{
    if (!srv)
        return;
    char *text = e2e_server_read_log(srv);
    /* Print only the last lines: the access log of a suite is long. */
    size_t len = strlen(text);
    int lines = 0;
    size_t start = len;
    while (start > 0 && lines <= 40) {
        start--;
        if (text[start] == '\n')
            lines++;
    }
    fprintf(stderr, "---- end of %s ----\n%s\n---- (end) ----\n", srv->log, text + start);
    scim_free(text);
}

/* Runs a program with argv, capturing stdout; stderr goes to err_path. Returns exit status. */
static int run_capture(const char *const *argv, const char *err_path, char **out)
{
    int rc = -1;
    int pipe_fd[2] = {-1, -1};
    struct growbuf b = {0};
    if (pipe2(pipe_fd, O_CLOEXEC) < 0)
        goto out;
    pid_t pid = fork();
    if (pid < 0)
        goto out;
    if (pid == 0) {
        int err_fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (err_fd >= 0)
            dup2(err_fd, 2);
        dup2(pipe_fd[1], 1);
        execv(argv[0], (char *const *)argv);
        dprintf(2, "e2e: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipe_fd[1]);
    pipe_fd[1] = -1;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(pipe_fd[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        gb_append(&b, chunk, (size_t)n);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
out:
    if (pipe_fd[0] >= 0)
        close(pipe_fd[0]);
    if (pipe_fd[1] >= 0)
        close(pipe_fd[1]);
    if (out)
        *out = gb_take(&b);
    else
        scim_free(b.data);
    return rc;
}

int e2e_scimctl(struct e2e_server *srv, char **out, ...)
{
    const char *argv[MAX_ARGS];
    size_t argc = 0;
    argv[argc++] = env_or("SCIMCTL_BIN", "build/san/scimctl");
    argv[argc++] = "--database";
    argv[argc++] = srv->db;
    va_list ap;
    va_start(ap, out);
    const char *arg;
    while ((arg = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS - 1)
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;
    char err_path[400];
    snprintf(err_path, sizeof(err_path), "%s/scimctl.log", srv->dir);
    return run_capture(argv, err_path, out);
}

int e2e_tenant_create(struct e2e_server *srv, const char *name)
{
    return e2e_scimctl(srv, NULL, "tenant", "create", name, NULL);
}

char *e2e_token_create(struct e2e_server *srv, const char *tenant, const char *description,
                       int days)
{
    char *text = NULL;
    char days_text[16];
    snprintf(days_text, sizeof(days_text), "%d", days);
    int status = e2e_scimctl(srv, &text, "token", "create", "--tenant", tenant, "--description",
                             description, "--expires-in-days", days_text, "--quiet", NULL);
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    if (status != 0 || len == 0 || strchr(text, '\n')) {
        fprintf(stderr, "e2e: scimctl token create failed (status %d, output '%s'; see %s)\n",
                status, text, srv->dir);
        scim_free(text);
        return NULL;
    }
    return text;
}

char *e2e_token_id(struct e2e_server *srv, const char *description)
{
    char *text = NULL, *id = NULL;
    json_t *list = NULL;
    int status = e2e_scimctl(srv, &text, "token", "list", "--json", NULL);
    if (status != 0)
        goto out;
    list = json_loads(text, 0, NULL);
    size_t i;
    json_t *t;
    json_array_foreach (list, i, t) {
        const char *d = json_string_value(json_object_get(t, "description"));
        const char *tid = json_string_value(json_object_get(t, "id"));
        if (d && tid && strcmp(d, description) == 0) {
            id = scim_strdup(tid);
            break;
        }
    }
out:
    json_decref(list);
    scim_free(text);
    return id;
}

static sqlite3 *sql_open(const struct e2e_server *srv)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(srv->db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "e2e: sqlite3_open %s: %s\n", srv->db, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

int e2e_sql_exec(const struct e2e_server *srv, const char *sql)
{
    int rc = -1;
    char *msg = NULL;
    sqlite3 *db = sql_open(srv);
    if (!db)
        goto out;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "e2e: SQL '%s' failed: %s\n", sql, msg ? msg : "?");
        goto out;
    }
    rc = 0;
out:
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc;
}

char *e2e_sql_text(const struct e2e_server *srv, const char *sql)
{
    char *result = NULL;
    sqlite3_stmt *stmt = NULL;
    sqlite3 *db = sql_open(srv);
    if (!db)
        goto out;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        fprintf(stderr, "e2e: SQL '%s' failed: %s\n", sql, sqlite3_errmsg(db));
        goto out;
    }
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(stmt, 0);
        result = scim_strdup(text ? (const char *)text : "");
    } else if (step != SQLITE_DONE) {
        fprintf(stderr, "e2e: SQL '%s' failed: %s\n", sql, sqlite3_errmsg(db));
    }
out:
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return result;
}

bool e2e_database_contains(const struct e2e_server *srv, const char *needle)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    bool found = false;
    for (size_t i = 0; !found && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char path[400];
        snprintf(path, sizeof(path), "%s%s", srv->db, suffixes[i]);
        size_t len = 0;
        char *bytes = read_file_from(path, 0, &len);
        if (bytes && memmem(bytes, len, needle, strlen(needle)))
            found = true;
        scim_free(bytes);
    }
    return found;
}

void e2e_resp_free(struct e2e_resp *resp)
{
    if (!resp)
        return;
    for (size_t i = 0; i < resp->n_headers; i++) {
        scim_free(resp->header_names[i]);
        scim_free(resp->header_values[i]);
    }
    scim_free(resp->header_names);
    scim_free(resp->header_values);
    json_decref(resp->json);
    scim_free(resp->body);
    scim_free(resp);
}

const char *e2e_header(const struct e2e_resp *resp, const char *name)
{
    for (size_t i = 0; resp && i < resp->n_headers; i++)
        if (strcasecmp(resp->header_names[i], name) == 0)
            return resp->header_values[i];
    return NULL;
}

static void clear_headers(struct e2e_resp *resp)
{
    for (size_t i = 0; i < resp->n_headers; i++) {
        scim_free(resp->header_names[i]);
        scim_free(resp->header_values[i]);
    }
    resp->n_headers = 0;
}

/* Records one header line ("Name: value", without or with CRLF); a status line starts over. */
static void add_header_line(struct e2e_resp *resp, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len == 0)
        return;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        clear_headers(resp);
        return;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return;
    const char *value = colon + 1;
    const char *end = line + len;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    resp->header_names = scim_realloc(resp->header_names, (resp->n_headers + 1) * sizeof(char *));
    resp->header_values = scim_realloc(resp->header_values, (resp->n_headers + 1) * sizeof(char *));
    resp->header_names[resp->n_headers] = scim_strndup(line, (size_t)(colon - line));
    resp->header_values[resp->n_headers] = scim_strndup(value, (size_t)(end - value));
    resp->n_headers++;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    add_header_line(userdata, data, size * nmemb);
    return size * nmemb;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    gb_append(userdata, data, size * nmemb);
    return size * nmemb;
}

static void finish_body(struct e2e_resp *resp, struct growbuf *body)
{
    resp->body_len = body->len;
    resp->body = gb_take(body);
    resp->json = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
}

struct e2e_resp *e2e_http(const struct e2e_server *srv, const struct e2e_req *req)
{
    struct e2e_resp *resp = scim_calloc(1, sizeof(*resp));
    struct growbuf body = {0};
    struct curl_slist *headers = NULL;
    char *url = NULL;
    resp->server = srv;
    CURL *h = req->curl ? req->curl : curl_easy_init();
    if (!h) {
        snprintf(resp->error, sizeof(resp->error), "curl_easy_init failed");
        goto out;
    }
    if (req->curl)
        curl_easy_reset(h);
    url = scim_asprintf("http://127.0.0.1:%u%s", (unsigned)srv->port, req->path);
    const char *method = req->method ? req->method : "GET";
    headers = curl_slist_append(headers, "Expect:");
    if (req->token) {
        char *auth = scim_asprintf("Authorization: Bearer %s", req->token);
        headers = curl_slist_append(headers, auth);
        scim_free(auth);
    }
    if (req->body) {
        const char *ct = req->content_type ? req->content_type : "application/scim+json";
        char *line = ct[0] ? scim_asprintf("Content-Type: %s", ct) : scim_strdup("Content-Type:");
        headers = curl_slist_append(headers, line);
        scim_free(line);
        size_t len = req->body_len ? req->body_len : strlen(req->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
    }
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        headers = curl_slist_append(headers, req->headers[i]);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
out:
    finish_body(resp, &body);
    curl_slist_free_all(headers);
    scim_free(url);
    if (h && !req->curl)
        curl_easy_cleanup(h);
    return resp;
}

/* Formats a request path; aborts the test when it does not fit. */
static void format_path(char *buf, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, size, fmt, ap);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "e2e: request path longer than %zu bytes\n", size);
        abort();
    }
}

struct e2e_resp *e2e_get(const struct e2e_server *srv, const char *token, const char *fmt, ...)
{
    char path[8192];
    va_list ap;
    va_start(ap, fmt);
    format_path(path, sizeof(path), fmt, ap);
    va_end(ap);
    return e2e_http(srv, &(struct e2e_req){.method = "GET", .path = path, .token = token});
}

struct e2e_resp *e2e_send(const struct e2e_server *srv, const char *method, const char *token,
                          const char *body, const char *fmt, ...)
{
    char path[8192];
    va_list ap;
    va_start(ap, fmt);
    format_path(path, sizeof(path), fmt, ap);
    va_end(ap);
    return e2e_http(
        srv, &(struct e2e_req){.method = method, .path = path, .token = token, .body = body});
}

char *e2e_urlencode(const char *s)
{
    pthread_once(&init_once, global_init);
    CURL *h = curl_easy_init();
    char *escaped = h ? curl_easy_escape(h, s, 0) : NULL;
    char *copy = scim_strdup(escaped ? escaped : "");
    curl_free(escaped);
    if (h)
        curl_easy_cleanup(h);
    return copy;
}

struct e2e_resp *e2e_filter_users(const struct e2e_server *srv, const char *token,
                                  const char *filter)
{
    char *q = e2e_urlencode(filter);
    struct e2e_resp *resp = e2e_get(srv, token, "/scim/v2/Users?filter=%s", q);
    scim_free(q);
    return resp;
}

/* Waits for one of events on fd; returns the revents, 0 on timeout, -1 on error. */
static int wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd p = {fd, events, 0};
    int n;
    do {
        n = poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    return n <= 0 ? n : p.revents;
}

/* Sends all of data unless the server starts answering; returns false when sending stopped. */
static bool raw_send(int fd, const char *data, size_t len)
{
    size_t sent = 0;
    while (sent < len) {
        int ev = wait_fd(fd, POLLIN | POLLOUT, RAW_TIMEOUT_MS);
        if (ev <= 0 || (ev & (POLLIN | POLLERR | POLLHUP)))
            return false;
        ssize_t n = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return false;
        sent += (size_t)n;
    }
    return true;
}

/* Parses a raw response in b into resp; returns true when it is complete. */
static bool raw_parse(struct e2e_resp *resp, const struct growbuf *b, bool eof)
{
    if (!b->data)
        return false;
    const char *end = strstr(b->data, "\r\n\r\n");
    if (!end)
        return false;
    size_t head_len = (size_t)(end - b->data) + 4;
    clear_headers(resp);
    const char *line = b->data;
    if (strncmp(line, "HTTP/1.", 7) == 0 && strlen(line) > 12) {
        char *stop = NULL;
        resp->status = strtol(line + 9, &stop, 10);
    }
    while (line < end) {
        const char *nl = strstr(line, "\r\n");
        if (line != b->data)
            add_header_line(resp, line, (size_t)(nl - line));
        line = nl + 2;
    }
    const char *cl = e2e_header(resp, "Content-Length");
    if (cl) {
        char *stop = NULL;
        unsigned long long want = strtoull(cl, &stop, 10);
        if (b->len - head_len >= want || eof) {
            size_t have = b->len - head_len < want ? b->len - head_len : (size_t)want;
            struct growbuf body = {0};
            gb_append(&body, b->data + head_len, have);
            scim_free(resp->body);
            finish_body(resp, &body);
            return true;
        }
        return false;
    }
    if (!eof)
        return false;
    struct growbuf body = {0};
    gb_append(&body, b->data + head_len, b->len - head_len);
    scim_free(resp->body);
    finish_body(resp, &body);
    return true;
}

struct e2e_resp *e2e_raw(const struct e2e_server *srv, const char *head, const char *body,
                         size_t body_len, unsigned flags)
{
    struct e2e_resp *resp = scim_calloc(1, sizeof(*resp));
    struct growbuf in = {0};
    resp->server = srv;
    resp->body = scim_strdup("");
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(resp->error, sizeof(resp->error), "socket: %s", strerror(errno));
        goto out;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(srv->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        snprintf(resp->error, sizeof(resp->error), "connect: %s", strerror(errno));
        goto out;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    bool sending = raw_send(fd, head, strlen(head));
    /* A server may answer a large body from its headers alone (413); give it the chance. */
    if (sending && body_len > 65536 && wait_fd(fd, POLLIN, 500) > 0)
        sending = false;
    if (sending && body_len > 0)
        sending = raw_send(fd, body, body_len);
    if (sending && (flags & E2E_RAW_SHUT_WR))
        shutdown(fd, SHUT_WR);
    if (flags & E2E_RAW_NO_READ) {
        snprintf(resp->error, sizeof(resp->error), "not read (E2E_RAW_NO_READ)");
        goto out;
    }
    int64_t deadline = now_ms() + RAW_TIMEOUT_MS;
    bool complete = false;
    while (!complete && now_ms() < deadline) {
        int ev = wait_fd(fd, POLLIN, (int)(deadline - now_ms()));
        if (ev <= 0)
            break;
        char chunk[65536];
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            complete = raw_parse(resp, &in, true);
            if (!complete && n < 0)
                snprintf(resp->error, sizeof(resp->error), "recv: %s", strerror(errno));
            break;
        }
        gb_append(&in, chunk, (size_t)n);
        complete = raw_parse(resp, &in, false);
    }
    if (!complete && !resp->error[0])
        snprintf(resp->error, sizeof(resp->error), "no complete response (%zu bytes received)",
                 in.len);
    if (!complete)
        resp->status = 0;
out:
    if (fd >= 0)
        close(fd);
    scim_free(in.data);
    return resp;
}

json_t *e2e_json_at(const json_t *doc, const char *path)
{
    const json_t *cur = doc;
    const char *p = path;
    while (cur && *p) {
        size_t key_len;
        if (strncmp(p, "urn:", 4) == 0) {
            const char *last_colon = strrchr(p, ':');
            key_len = (size_t)(last_colon - p) + strcspn(last_colon, ".[");
        } else {
            key_len = strcspn(p, ".[");
        }
        if (key_len > 0) {
            char *key = scim_strndup(p, key_len);
            cur = json_object_get(cur, key);
            scim_free(key);
        }
        p += key_len;
        while (cur && *p == '[') {
            char *stop = NULL;
            long index = strtol(p + 1, &stop, 10);
            if (stop == p + 1 || *stop != ']' || index < 0)
                return NULL;
            cur = json_array_get(cur, (size_t)index);
            p = stop + 1;
        }
        if (*p == '.')
            p++;
    }
    return (json_t *)cur;
}

const char *e2e_str(const json_t *doc, const char *path)
{
    return json_string_value(e2e_json_at(doc, path));
}

/* Prints a response for a failure message. */
static void print_resp(const struct e2e_resp *resp)
{
    if (!resp)
        return;
    fprintf(stderr, "  response: status %ld%s%s\n", resp->status, resp->error[0] ? ", error: " : "",
            resp->error);
    for (size_t i = 0; i < resp->n_headers; i++)
        fprintf(stderr, "  %s: %s\n", resp->header_names[i], resp->header_values[i]);
    int shown = resp->body_len > 4000 ? 4000 : (int)resp->body_len;
    fprintf(stderr, "  body (%zu bytes): %.*s%s\n", resp->body_len, shown, resp->body,
            resp->body_len > 4000 ? "..." : "");
}

void e2e_fail_(const struct e2e_resp *resp, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    print_resp(resp);
    if (resp)
        e2e_server_dump_log(resp->server);
    _fail(file, line);
}

void e2e_assert_status_(const struct e2e_resp *resp, long status, const char *file, int line)
{
    if (resp->status != status)
        e2e_fail_(resp, file, line, "expected status %ld, got %ld", status, resp->status);
}

void e2e_assert_scim_content_type_(const struct e2e_resp *resp, const char *file, int line)
{
    const char *ct = e2e_header(resp, "Content-Type");
    size_t len = ct ? strcspn(ct, "; \t") : 0;
    if (!ct || len != 21 || strncasecmp(ct, "application/scim+json", 21) != 0)
        e2e_fail_(resp, file, line, "expected Content-Type application/scim+json, got '%s'",
                  ct ? ct : "(none)");
}

void e2e_assert_scim_error_(const struct e2e_resp *resp, long status, const char *scim_type,
                            const char *file, int line)
{
    e2e_assert_status_(resp, status, file, line);
    e2e_assert_scim_content_type_(resp, file, line);
    if (!json_is_object(resp->json))
        e2e_fail_(resp, file, line, "the body of a %ld is not a JSON object", status);
    const json_t *schemas = json_object_get(resp->json, "schemas");
    if (json_array_size(schemas) != 1 || !json_is_string(json_array_get(schemas, 0)) ||
        strcmp(json_string_value(json_array_get(schemas, 0)), E2E_SCIM_ERROR_SCHEMA) != 0)
        e2e_fail_(resp, file, line, "schemas must be exactly [\"%s\"]", E2E_SCIM_ERROR_SCHEMA);
    char code[16];
    snprintf(code, sizeof(code), "%ld", status);
    const char *got = e2e_str(resp->json, "status");
    if (!got || strcmp(got, code) != 0)
        e2e_fail_(resp, file, line, "\"status\" must be the string \"%s\"", code);
    if (scim_type) {
        const char *type = e2e_str(resp->json, "scimType");
        if (!type || strcmp(type, scim_type) != 0)
            e2e_fail_(resp, file, line, "expected scimType \"%s\", got %s%s%s", scim_type,
                      type ? "\"" : "", type ? type : "none", type ? "\"" : "");
    }
}

void e2e_assert_str_(const char *got, const char *expected, const char *file, int line)
{
    if (!got || strcmp(got, expected) != 0)
        e2e_fail_(NULL, file, line, "expected \"%s\", got %s%s%s", expected, got ? "\"" : "",
                  got ? got : "NULL", got ? "\"" : "");
}

void e2e_assert_json_str_(const struct e2e_resp *resp, const char *path, const char *expected,
                          const char *file, int line)
{
    const char *got = e2e_str(resp->json, path);
    if (!got || strcmp(got, expected) != 0)
        e2e_fail_(resp, file, line, "expected %s = \"%s\", got %s%s%s", path, expected,
                  got ? "\"" : "", got ? got : "no string", got ? "\"" : "");
}

void e2e_assert_json_int_(const struct e2e_resp *resp, const char *path, long long expected,
                          const char *file, int line)
{
    const json_t *v = e2e_json_at(resp->json, path);
    if (!json_is_integer(v) || json_integer_value(v) != expected)
        e2e_fail_(resp, file, line, "expected %s = %lld, got %s", path, expected,
                  json_is_integer(v) ? "another integer" : "no integer");
}

void e2e_assert_json_absent_(const struct e2e_resp *resp, const char *path, const char *file,
                             int line)
{
    if (e2e_json_at(resp->json, path))
        e2e_fail_(resp, file, line, "expected no %s in the body", path);
}

void e2e_assert_header_(const struct e2e_resp *resp, const char *name, const char *expected,
                        const char *file, int line)
{
    const char *got = e2e_header(resp, name);
    if (!got)
        e2e_fail_(resp, file, line, "expected a %s header", name);
    if (expected && strcmp(got, expected) != 0)
        e2e_fail_(resp, file, line, "expected %s: %s, got %s", name, expected, got);
}

struct e2e_resp *e2e_create_user_(const struct e2e_server *srv, const char *token,
                                  const char *user_name, const char *extra_json, const char *file,
                                  int line)
{
    json_t *doc = json_pack("{s:[s], s:s}", "schemas", E2E_USER_SCHEMA, "userName", user_name);
    if (extra_json) {
        json_t *extra = json_loads(extra_json, 0, NULL);
        if (!json_is_object(extra)) {
            json_decref(extra);
            json_decref(doc);
            e2e_fail_(NULL, file, line, "extra_json is not a JSON object: %s", extra_json);
            return NULL;
        }
        json_object_update(doc, extra);
        json_decref(extra);
    }
    char *body = scim_json_dump(doc, NULL);
    json_decref(doc);
    struct e2e_resp *resp = e2e_send(srv, "POST", token, body, "/scim/v2/Users");
    scim_free(body);
    e2e_assert_status_(resp, 201, file, line);
    return resp;
}
