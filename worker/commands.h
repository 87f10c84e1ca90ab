/* gt-worker's commands: glorytun 0.3.4's (docs/protocol.md section 10), one file each. Each takes
 * argc/argv with argv[0] the command's name and returns the exit status. */
#ifndef GT_WORKER_COMMANDS_H
#define GT_WORKER_COMMANDS_H

int cmd_bind(int argc, char **argv);
int cmd_path(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* Whether --json was given (before the command). */
extern int cmd_json;

#endif
