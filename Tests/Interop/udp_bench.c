/* udp_bench: the UDP echo peers of bench/net.sh (compiled by it with cc -O2).
 *   udp_bench client HOST PORT COUNT WINDOW SIZE TIMEOUT_S
 *       sends COUNT datagrams of SIZE bytes (>= 4: a sequence number, then a pattern) from a connected socket,
 *       at most WINDOW in flight; each echo must come back byte-exact and in order. Prints datagrams/s.
 *   udp_bench echo PORT IDLE_S
 *       echoes every datagram on PORT back to its sender; exits after IDLE_S seconds without one. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fill(unsigned char *buf, uint32_t seq, int size) {
    uint32_t be = htonl(seq);
    memcpy(buf, &be, 4);
    for (int i = 4; i < size; i++) buf[i] = (unsigned char)(seq * 31 + i * 7);
}

static int client(const char *host, int port, long count, long window, int size, double timeout) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &to.sin_addr);
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (size < 4 || size > 1472 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
        printf("FAIL udp_bench: bad size or cannot connect\n");
        return 1;
    }
    unsigned char out[1500], in[2048], want[1500];
    long sent = 0, received = 0;
    double start = now(), deadline = start + timeout;
    while (received < count) {
        while (sent < count && sent - received < window) {
            fill(out, (uint32_t)sent, size);
            if (send(fd, out, size, 0) != size) { printf("FAIL udp_bench: send: %s\n", strerror(errno)); return 1; }
            sent++;
        }
        ssize_t n = recv(fd, in, sizeof in, 0);
        if (n < 0) {
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && now() < deadline) continue;
            printf("FAIL udp_bench: %ld/%ld echoed (%s)\n", received, count, errno == EAGAIN ? "timeout" : strerror(errno));
            return 1;
        }
        fill(want, (uint32_t)received, size);
        if (n != size || memcmp(in, want, size) != 0) {
            printf("FAIL udp_bench: echo %ld wrong (%zd bytes)\n", received, n);
            return 1;
        }
        received++;
    }
    double elapsed = now() - start;
    printf("ok udp_bench: %ld datagrams of %d B echoed in order, window %ld, %.0f datagrams/s\n", received, size,
           window, received / elapsed);
    return 0;
}

static int echo(int port, int idle) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct timeval tv = {.tv_sec = idle};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (bind(fd, (struct sockaddr *)&at, sizeof at) < 0) { perror("udp_bench echo: bind"); return 1; }
    printf("udp_bench echo: ready\n");
    fflush(stdout);
    unsigned char buf[65536];
    for (;;) {
        struct sockaddr_in from;
        socklen_t length = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &length);
        if (n < 0) return errno == EAGAIN ? 0 : 1;
        sendto(fd, buf, n, 0, (struct sockaddr *)&from, length);
    }
}

int main(int argc, char **argv) {
    if (argc == 8 && strcmp(argv[1], "client") == 0)
        return client(argv[2], atoi(argv[3]), atol(argv[4]), atol(argv[5]), atoi(argv[6]), atof(argv[7]));
    if (argc == 4 && strcmp(argv[1], "echo") == 0) return echo(atoi(argv[2]), atoi(argv[3]));
    fprintf(stderr, "usage: udp_bench client HOST PORT COUNT WINDOW SIZE TIMEOUT_S | udp_bench echo PORT IDLE_S\n");
    return 2;
}
