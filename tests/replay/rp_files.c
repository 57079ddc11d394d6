/* tests/replay/rp_files.c: the file calls, for test_replay: in directory
 * DIR it writes a file, reads it back, stats and lists the directory,
 * renames and removes the file, marking what it saw. The test records it,
 * removes DIR, and replays it: nothing of DIR is needed again.
 *     rp_files DIR
 * Prints `rp_files: ok` when it read back what it wrote. */
#include <coscope/co.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const char *dir;
static int ok;

static void *main_task(void *arg)
{
    (void)arg;
    char a[512], b[512], buf[64];
    const char text[] = "replayed from the log, not the disk\n";
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(b, sizeof b, "%s/b.txt", dir);
    int fd = co_fs_open(a, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        return NULL;
    co_fs_write(fd, text, sizeof text - 1, 0);
    co_fs_fsync(fd);
    co_fs_close(fd);
    fd = co_fs_open(a, O_RDONLY, 0);
    ssize_t n = co_fs_read(fd, buf, sizeof buf, 0);
    co_fs_close(fd);
    co_mark("read %zd: %.*s", n, n > 0 ? (int)n - 1 : 0, buf);
    co_stat st;
    if (co_fs_stat(a, &st) == 0)
        co_mark("size %lld file %d", (long long)st.size, st.is_file);
    co_dirent *ents;
    int k = co_fs_readdir(dir, &ents);
    for (int i = 0; i < k; i++)
        co_mark("entry %s dir %d", ents[i].name, ents[i].is_dir);
    if (k >= 0)
        co_fs_dirents_free(ents, (size_t)k);
    co_fs_rename(a, b);
    co_mark("missing: %d", co_fs_stat(a, &st));
    co_fs_unlink(b);
    ok = n == (ssize_t)sizeof text - 1 && memcmp(buf, text, (size_t)n) == 0;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rp_files DIR\n");
        return 2;
    }
    dir = argv[1];
    if (co_main(main_task, NULL) != 0 || !ok)
        return 1;
    printf("rp_files: ok\n");
    return 0;
}
