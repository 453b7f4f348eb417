/*
 * echo.c — check.sh's stream peer: echoes every byte back, so QEMU stream
 * framing (4-byte big-endian length + frame) comes back frame for frame.
 *
 *   echo listen PATH         listens on a UNIX stream socket at PATH, echoes one
 *                            connection until EOF, then exits 0 (prints "ready" first)
 *   echo spawn PROG ARGS...  makes a socketpair, runs PROG with "@FD" in ARGS
 *                            replaced by its end's number (as `swiftlet run` hands
 *                            passt's socket over), echoes, exits with PROG's status
 *   echo close PATH          accepts one connection and closes it at once
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void echo_until_eof(int fd)
{
    static char buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(fd, buf + done, (size_t)(n - done));
            if (w <= 0)
                return;
            done += w;
        }
    }
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 3 && (strcmp(argv[1], "listen") == 0 || strcmp(argv[1], "close") == 0)) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strncpy(sa.sun_path, argv[2], sizeof sa.sun_path - 1);
        unlink(argv[2]);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 1) != 0) {
            perror("echo: listen");
            return 1;
        }
        printf("ready\n");
        fflush(stdout);
        int c = accept(s, NULL, NULL);
        if (c < 0)
            return 1;
        if (strcmp(argv[1], "listen") == 0)
            echo_until_eof(c);
        close(c);
        unlink(argv[2]);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "spawn") == 0) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            close(sv[0]);
            char fd[16];
            snprintf(fd, sizeof fd, "%d", sv[1]);
            for (int i = 2; i < argc; i++) {
                char *at = strstr(argv[i], "@FD");
                if (at) {
                    size_t len = strlen(argv[i]) + strlen(fd);
                    char *word = malloc(len);
                    snprintf(word, len, "%.*s%s%s", (int)(at - argv[i]), argv[i], fd, at + 3);
                    argv[i] = word;
                }
            }
            execv(argv[2], argv + 2);
            _exit(127);
        }
        close(sv[1]);
        echo_until_eof(sv[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    fprintf(stderr, "usage: echo listen PATH | echo close PATH | echo spawn PROG ARGS...\n");
    return 2;
}
