/*
 * silo-native.c: the only C in silo. Two functions, each a fork-like clone followed by an exec.
 *
 * Why C at all: between clone and exec the child is a copy of a multithreaded .NET process with
 * only one thread left. The .NET runtime cannot run managed code there (its other threads, the
 * garbage collector and its locks are gone), so the child side of each clone below calls only
 * async-signal-safe functions and then replaces itself with a fresh program.
 *
 * silo_clone_child   used by the host (silo): clones the child into the new namespaces, lets it
 *                    wait until the host has done its parent-side work (uid maps, network helper),
 *                    becomes root of its user namespace, then execs silo-init from a sealed copy.
 * silo_spawn_target  used by silo-init, once the plan has run: forks the target, gives it a session
 *                    (and a terminal, when asked), its resource limits, its ids inside, then
 *                    execs it.
 *
 * Failures in a child are reported as the errno, written as 4 bytes to a pipe the caller reads;
 * the caller turns it into a message. Nothing here prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The descriptors silo-init finds: 3 the plan, 4 the report channel, 5 on those handed on. */
#define SILO_FIRST_FD 3

static void report_errno(int fd, int err)
{
    int32_t value = err;
    ssize_t n;
    do {
        n = write(fd, &value, sizeof value);
    } while (n < 0 && errno == EINTR);
}

/*
 * A forked copy keeps the parent's signal dispositions and mask. An exec resets handled signals to
 * their default but keeps ignored ones ignored and keeps the mask, and the .NET runtime ignores
 * SIGPIPE: without this reset, `yes | head` inside would behave differently than at home.
 */
static void reset_signals(void)
{
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            sigaction(sig, &dfl, NULL); /* fails harmlessly for the numbers libc reserves */
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Places fds[0..count) at 3, 4, 5, ... in order. They are first moved above every target number,
 * so that placing one can never overwrite another that is still to be placed.
 */
static int place_fds(const int *fds, int count)
{
    int moved[64];
    if (count > 64) {
        return -E2BIG;
    }
    for (int i = 0; i < count; i++) {
        moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, SILO_FIRST_FD + count);
        if (moved[i] < 0) {
            return -errno;
        }
    }
    for (int i = 0; i < count; i++) {
        if (dup2(moved[i], SILO_FIRST_FD + i) < 0) { /* dup2 clears close-on-exec on the copy */
            return -errno;
        }
    }
    /* Every other descriptor of the host is marked close-on-exec: nothing of it may leak into the
     * sandbox, yet the error pipe stays usable until the exec succeeds. Among them are the .NET
     * runtime's own, opened before any of silo's code runs: pipes, /dev/urandom, and the memfd
     * behind its writable-and-executable double mapping of JIT code, which in the sandbox would
     * be a way to write code into silo itself.
     * Known limitation: so silo cannot tell a descriptor its caller passed on purpose (runc's
     * --preserve-fds) from one of the runtime's, and passes none beyond 0-2. Fix: have a small
     * native launcher record the caller's open descriptors before it starts the runtime. */
    syscall(SYS_close_range, SILO_FIRST_FD + count, ~0U, CLOSE_RANGE_CLOEXEC);
    return 0;
}

/*
 * Clones a child with the given namespace flags. The child waits for one byte on sync_fd: the
 * host sends it once its parent-side work is done. End of file instead means: give up. The host
 * keeps sync_write_fd, the other end, open until the child has execed; the child closes its own
 * copy first, so that the host's end is the only one and end of file means the host is gone.
 *
 * With a new user namespace, the maps must be written before the child execs: an exec recomputes
 * the capabilities from the effective uid, and a uid that is not root of the namespace (or not
 * mapped at all) loses every capability the clone gave. So the child first becomes uid and gid 0
 * of its namespace, and only then execs.
 *
 * silo-init is executed from init_fd, a sealed in-memory copy the host made: nothing inside the
 * sandbox can write to it through /proc/PID/exe, and it runs whatever folder silo lives in.
 *
 * Returns the child's pid as the host sees it, or -errno. The child's errors go to err_fd as an
 * errno, and its exit status says which step failed: 124 becoming root inside, 125 otherwise.
 */
pid_t silo_clone_child(uint64_t flags, int init_fd, char *const argv[], char *const envp[],
                       const int *fds, int fd_count, int sync_fd, int sync_write_fd, int err_fd)
{
    sigset_t all, old;
    sigfillset(&all);
    /* Block every signal across the clone so no .NET handler can run in the child's copy. */
    pthread_sigmask(SIG_SETMASK, &all, &old);

    /* Like fork(): no new stack, the child continues here with a copy of the memory. SIGCHLD
     * makes it an ordinary child that the host can wait for. */
    long pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0) {
        /* Child: one thread, in the new namespaces. Async-signal-safe calls only from here. */
        reset_signals();
        close(sync_write_fd);
        /* Die with the host thread that cloned us: no sandbox outlives silo, even after SIGKILL.
         * Had the host died before this line, the read below would see end of file. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* A session of its own: signals the user's terminal sends to silo's process group (Ctrl-C
         * in a pipeline) reach the sandbox once, forwarded by the host, not a second time
         * directly; and silo-init never has a controlling terminal to lose or to be stopped by. */
        setsid();
        char go = 0;
        ssize_t n;
        do {
            n = read(sync_fd, &go, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1) {
            _exit(125); /* the host gave up, or died before the deathsig was set */
        }
        if (flags & CLONE_NEWUSER) {
            /* setgroups is refused (EPERM) where the host denied it for an unprivileged map. */
            if ((setgroups(0, NULL) < 0 && errno != EPERM) || setresgid(0, 0, 0) < 0 ||
                setresuid(0, 0, 0) < 0) {
                report_errno(err_fd, errno);
                _exit(124);
            }
            /* The kernel clears the death signal when the effective uid changes, as it did here
             * whenever root inside maps to another host uid than the caller's (real root mapped
             * to 100000): set it again, then make sure the host did not die in between. The host
             * still holds the write end, so a hang-up on the pipe can only mean it is gone. */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            struct pollfd host = { .fd = sync_fd, .events = POLLIN };
            if (poll(&host, 1, 0) > 0 && (host.revents & POLLHUP)) {
                _exit(125);
            }
        }
        /* Keep the copy of silo-init above the numbers that place_fds fills. */
        int exe = fcntl(init_fd, F_DUPFD_CLOEXEC, SILO_FIRST_FD + fd_count);
        int rc = exe < 0 ? -errno : place_fds(fds, fd_count);
        if (rc < 0) {
            report_errno(err_fd, -rc);
            _exit(125);
        }
        syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
        report_errno(err_fd, errno);
        _exit(125);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid < 0 ? -saved : (pid_t)pid;
}

/*
 * Forks the target and execs it. The child starts a session of its own, takes tty_fd (when not
 * -1) as its controlling terminal and stdio, sets limit_count resource limits (limits holds
 * resource, soft, hard for each), changes to gid and uid (when not -1), and execs path. err_fd
 * must be close-on-exec: the caller reads end of file when the exec succeeded, or the errno when
 * it failed; the exit status says what failed: 123 a limit, 125 the rest, 127 the exec.
 *
 * The limits are set here, in the target only, and not by silo-init on itself: the limits a
 * program is given (RLIMIT_AS, RLIMIT_NPROC counting threads) are not sized for a .NET runtime
 * that reserves gigabytes of address space and runs several threads, and that must still fork.
 * They come before setresuid, which fails with EAGAIN for a uid over its RLIMIT_NPROC.
 *
 * Returns the target's pid, or -errno when the fork itself failed.
 */
pid_t silo_spawn_target(const char *path, char *const argv[], char *const envp[], int tty_fd,
                        int64_t uid, int64_t gid, const uint64_t *limits, int limit_count,
                        int err_fd)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        reset_signals();
        setsid();
        if (tty_fd >= 0) {
            if (ioctl(tty_fd, TIOCSCTTY, 0) < 0 || dup2(tty_fd, 0) < 0 || dup2(tty_fd, 1) < 0 ||
                dup2(tty_fd, 2) < 0) {
                report_errno(err_fd, errno);
                _exit(125);
            }
            if (tty_fd > 2) {
                close(tty_fd);
            }
        }
        for (int i = 0; i < limit_count; i++) {
            struct rlimit limit = { .rlim_cur = limits[3 * i + 1], .rlim_max = limits[3 * i + 2] };
            if (prlimit(0, (int)limits[3 * i], &limit, NULL) < 0) {
                report_errno(err_fd, errno);
                _exit(123);
            }
        }
        /* Groups first: after setuid to a non-root id the call is no longer permitted. */
        if (gid >= 0 && (setgroups(0, NULL) < 0 && errno != EPERM)) {
            report_errno(err_fd, errno);
            _exit(125);
        }
        if (gid >= 0 && setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0) {
            report_errno(err_fd, errno);
            _exit(125);
        }
        if (uid >= 0 && setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) {
            report_errno(err_fd, errno);
            _exit(125);
        }
        execve(path, argv, envp);
        report_errno(err_fd, errno);
        _exit(127);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid < 0 ? -saved : pid;
}
