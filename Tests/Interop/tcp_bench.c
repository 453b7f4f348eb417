/* tcp_bench: the TCP bulk-transfer peers of bench/tcp.sh (compiled by it with cc -O2).
 *   tcp_bench send HOST PORT BYTES TIMEOUT_S
 *       connects, writes BYTES (64 KiB writes), half-closes, and waits for the server's FIN (a discard server,
 *       RFC 863, closes once it has read everything): the time runs from connect to that FIN. Prints MB/s.
 *   tcp_bench recv HOST PORT BYTES TIMEOUT_S
 *       connects to a source (it sends until the client closes), reads BYTES, closes. Prints MB/s.
 *   tcp_bench discard PORT IDLE_S | tcp_bench source PORT IDLE_S
 *       the kernel's side of the same: one connection at a time on PORT, read and count until EOF, or write
 *       until the peer goes; exits after IDLE_S seconds without a connection.
 * MB/s is 10^6 bytes per second of payload. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
static unsigned char buffer[CHUNK];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int dial(const char *host, int port, double timeout) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &to.sin_addr);
    struct timeval tv = {.tv_sec = (long)timeout};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
        printf("FAIL tcp_bench: connect: %s\n", strerror(errno));
        exit(1);
    }
    return fd;
}

static void report(const char *what, long long bytes, double seconds) {
    printf("%s %lld bytes in %.3f s: %.1f MB/s\n", what, bytes, seconds, bytes / seconds / 1e6);
}

static int send_bulk(const char *host, int port, long long total, double timeout) {
    memset(buffer, 'x', sizeof buffer);
    double t0 = now();
    int fd = dial(host, port, timeout);
    long long sent = 0;
    while (sent < total) {
        size_t n = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;
        ssize_t w = write(fd, buffer, n);
        if (w <= 0) {
            printf("FAIL tcp_bench: write after %lld bytes: %s\n", sent, w < 0 ? strerror(errno) : "0");
            return 1;
        }
        sent += w;
        if (now() - t0 > timeout) break;
    }
    shutdown(fd, SHUT_WR);
    ssize_t r;
    while ((r = read(fd, buffer, sizeof buffer)) > 0) {}
    double t1 = now();
    if (r < 0 || sent < total) {
        printf("FAIL tcp_bench: %lld of %lld bytes, no FIN: %s\n", sent, total, r < 0 ? strerror(errno) : "timeout");
        return 1;
    }
    close(fd);
    report("sent", sent, t1 - t0);
    return 0;
}

static int recv_bulk(const char *host, int port, long long total, double timeout) {
    double t0 = now();
    int fd = dial(host, port, timeout);
    long long got = 0;
    while (got < total) {
        size_t n = total - got < CHUNK ? (size_t)(total - got) : CHUNK;
        ssize_t r = read(fd, buffer, n);
        if (r <= 0) {
            printf("FAIL tcp_bench: read after %lld bytes: %s\n", got, r < 0 ? strerror(errno) : "EOF");
            return 1;
        }
        got += r;
        if (now() - t0 > timeout) {
            printf("FAIL tcp_bench: %lld of %lld bytes in %.0f s\n", got, total, timeout);
            return 1;
        }
    }
    double t1 = now();
    close(fd);
    report("received", got, t1 - t0);
    return 0;
}

static int serve(int port, int source, int idle) {
    signal(SIGPIPE, SIG_IGN);
    memset(buffer, 'y', sizeof buffer);
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(port)};
    struct timeval tv = {.tv_sec = idle};
    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (bind(listener, (struct sockaddr *)&at, sizeof at) < 0 || listen(listener, 16) < 0) {
        printf("FAIL tcp_bench: cannot listen on %d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    int fd;
    while ((fd = accept(listener, NULL, NULL)) >= 0) {
        if (source) {
            while (write(fd, buffer, sizeof buffer) > 0) {}
        } else {
            while (read(fd, buffer, sizeof buffer) > 0) {}
        }
        close(fd);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 6 && !strcmp(argv[1], "send")) return send_bulk(argv[2], atoi(argv[3]), atoll(argv[4]), atof(argv[5]));
    if (argc == 6 && !strcmp(argv[1], "recv")) return recv_bulk(argv[2], atoi(argv[3]), atoll(argv[4]), atof(argv[5]));
    if (argc == 4 && !strcmp(argv[1], "discard")) return serve(atoi(argv[2]), 0, atoi(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "source")) return serve(atoi(argv[2]), 1, atoi(argv[3]));
    fprintf(stderr, "usage: tcp_bench send|recv HOST PORT BYTES TIMEOUT_S | discard|source PORT IDLE_S\n");
    return 2;
}
