#ifndef GT_WORKER_SPAWNED_H
#define GT_WORKER_SPAWNED_H

#include <stdnoreturn.h>

/* `gt-worker spawned`: the configuration comes over the channel on IPC_WORKER_FD. Never
 * returns. */
noreturn void worker_spawned_main(void);

#endif
