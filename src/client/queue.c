/* queue.c — the bounded on-disk queue of undelivered LOCAL reports (see
 * client.h). The sequence numbers of the files present are kept in memory,
 * oldest first, in a ring of `max` entries. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"

struct client_queue {
    char dir[1024];
    size_t max;
    uint64_t *seq; /* ring of max */
    size_t head, n;
    uint64_t next;
    int lock_fd;
};

static void path_of(const client_queue *q, uint64_t seq, int tmp, char *out, size_t cap)
{
    if (tmp)
        snprintf(out, cap, "%s/.%020llu.tmp", q->dir, (unsigned long long)seq);
    else
        snprintf(out, cap, "%s/%020llu.frame", q->dir, (unsigned long long)seq);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static void drop_oldest(client_queue *q)
{
    char p[1100];
    path_of(q, q->seq[q->head], 0, p, sizeof p);
    unlink(p);
    q->head = (q->head + 1) % q->max;
    q->n--;
}

sciot_status client_queue_open(client_queue **out, const char *dir, size_t max, sciot_error *err)
{
    *out = NULL;
    if (!dir || !*dir || strlen(dir) > 900)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "queue directory: 1..900 characters");
    if (max < 1)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "queue of at least one report");
    if (make_dirs(dir) != 0)
        return sciot_fail(err, SCIOT_ERR_IO, "queue directory %s: %s", dir, strerror(errno));
    client_queue *q = calloc(1, sizeof *q);
    if (!q)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    q->lock_fd = -1;
    q->seq = malloc(max * sizeof *q->seq);
    if (!q->seq) {
        free(q);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory for a queue of %zu", max);
    }
    snprintf(q->dir, sizeof q->dir, "%s", dir);
    q->max = max;
    q->next = 1;

    char lock[1100];
    snprintf(lock, sizeof lock, "%s/.lock", dir);
    q->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (q->lock_fd < 0) {
        int e = errno;
        client_queue_close(q);
        return sciot_fail(err, SCIOT_ERR_IO, "queue %s: %s", lock, strerror(e));
    }
    struct flock fl = {0};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(q->lock_fd, F_SETLK, &fl) != 0) {
        client_queue_close(q);
        return sciot_fail(err, SCIOT_ERR_IO,
                          "queue %s is in use by another sciot device (give each device its own --device-id or "
                          "--queue)",
                          dir);
    }

    /* what an earlier run left: whole frames, and temporaries of writes
     * that a kill interrupted (deleted) */
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        client_queue_close(q);
        return sciot_fail(err, SCIOT_ERR_IO, "queue directory %s: %s", dir, strerror(e));
    }
    size_t cap = 64, n = 0;
    uint64_t *found = malloc(cap * sizeof *found);
    struct dirent *e;
    while (found && (e = readdir(d))) {
        const char *nm = e->d_name;
        char p[1100];
        if (nm[0] == '.' && strstr(nm, ".tmp") && strlen(nm) > 5) {
            snprintf(p, sizeof p, "%s/%s", dir, nm);
            unlink(p);
            continue;
        }
        size_t len = strlen(nm);
        if (len != 26 || strcmp(nm + 20, ".frame") != 0 || strspn(nm, "0123456789") != 20)
            continue;
        if (n == cap) {
            uint64_t *nf = realloc(found, 2 * cap * sizeof *found);
            if (!nf) {
                free(found);
                found = NULL;
                break;
            }
            found = nf;
            cap *= 2;
        }
        found[n++] = strtoull(nm, NULL, 10);
    }
    closedir(d);
    if (!found) {
        client_queue_close(q);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    }
    qsort(found, n, sizeof *found, cmp_u64);
    size_t skip = n > max ? n - max : 0;
    for (size_t i = 0; i < skip; i++) { /* more than the bound allows now: oldest go */
        char p[1100];
        path_of(q, found[i], 0, p, sizeof p);
        unlink(p);
    }
    for (size_t i = skip; i < n; i++)
        q->seq[q->n++] = found[i];
    if (n)
        q->next = found[n - 1] + 1;
    free(found);
    *out = q;
    return SCIOT_OK;
}

void client_queue_close(client_queue *q)
{
    if (!q)
        return;
    if (q->lock_fd >= 0)
        close(q->lock_fd); /* releases the lock */
    free(q->seq);
    free(q);
}

size_t client_queue_len(const client_queue *q)
{
    return q ? q->n : 0;
}

const char *client_queue_dir(const client_queue *q)
{
    return q ? q->dir : "";
}

sciot_status client_queue_push(client_queue *q, const uint8_t *frame, size_t len, int *dropped,
                               uint64_t *dropped_seq, sciot_error *err)
{
    char tmp[1100], fin[1100];
    *dropped = 0;
    uint64_t seq = q->next;
    path_of(q, seq, 1, tmp, sizeof tmp);
    path_of(q, seq, 0, fin, sizeof fin);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sciot_fail(err, SCIOT_ERR_IO, "queue: %s: %s", tmp, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, frame + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return sciot_fail(err, SCIOT_ERR_IO, "queue: writing %s: %s", tmp, strerror(e));
        }
        done += (size_t)w;
    }
    /* on disk before it takes its name: a power cut leaves no torn frame */
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return sciot_fail(err, SCIOT_ERR_IO, "queue: writing %s: %s", tmp, strerror(e));
    }
    if (q->n == q->max) {
        *dropped = 1;
        *dropped_seq = q->seq[q->head];
        drop_oldest(q);
    }
    if (rename(tmp, fin) != 0) {
        int e = errno;
        unlink(tmp);
        return sciot_fail(err, SCIOT_ERR_IO, "queue: %s: %s", fin, strerror(e));
    }
    q->seq[(q->head + q->n) % q->max] = seq;
    q->n++;
    q->next = seq + 1;
    return SCIOT_OK;
}

sciot_status client_queue_peek(client_queue *q, uint8_t *buf, size_t cap, size_t *len, uint64_t *seq,
                               sciot_error *err)
{
    if (!q->n)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "the queue is empty");
    char p[1100];
    *seq = q->seq[q->head];
    path_of(q, *seq, 0, p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "queue: %s: %s", p, strerror(errno));
    size_t n = 0;
    for (;;) {
        if (n == cap) { /* one byte more than the buffer: too long */
            uint8_t extra;
            ssize_t r = read(fd, &extra, 1);
            close(fd);
            if (r > 0)
                return sciot_fail(err, SCIOT_ERR_LENGTH, "queue: %s is larger than a frame (%zu bytes)", p, cap);
            break;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return sciot_fail(err, SCIOT_ERR_IO, "queue: reading %s: %s", p, strerror(e));
        }
        if (r == 0) {
            close(fd);
            break;
        }
        n += (size_t)r;
    }
    *len = n;
    return SCIOT_OK;
}

sciot_status client_queue_pop(client_queue *q, sciot_error *err)
{
    if (!q->n)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "the queue is empty");
    drop_oldest(q);
    return SCIOT_OK;
}
