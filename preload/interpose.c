/*
 * The interposition layer's start-up: resolves the real functions of every family (see
 * interpose.h for which file owns which functions).
 */
#include "interpose.h"

void inflame__interpose_resolve(void)
{
	inflame__interpose_alloc_resolve();
	inflame__interpose_threads_resolve();
	inflame__interpose_signals_resolve();
	inflame__interpose_blocking_resolve();
	inflame__interpose_locks_resolve();
	inflame__interpose_loader_resolve();
	inflame__interpose_process_resolve();
}
