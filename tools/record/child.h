/*
 * Running `inflame record`'s command: starting it, passing on the signals meant for it while
 * waiting, and collecting its wait status.
 *
 * While the command runs, SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to the launcher by a process
 * (kill(1), a service manager, timeout(1)) are sent on to the command, as time(1) and
 * timeout(1) do, so that killing the launcher never leaves the command running orphaned. The
 * ones the terminal sends (^C, ^\, a hangup) reach the whole foreground process group, the
 * command included: those are not sent a second time. Nothing here prints.
 */
#ifndef INFLAME_RECORD_CHILD_H
#define INFLAME_RECORD_CHILD_H

/*
 * Runs path with argv (argv[0] first, NULL-terminated) and waits for it, forwarding the signals
 * above meanwhile. The launcher's signal dispositions and mask are as before on return. Returns
 * 0 with the command's wait status in *status; or a negative errno: the fork failed, or (with
 * *exec_failed set) the command could not be executed, with errno's value of the exec.
 */
int inflame_record_run(const char *path, char *const argv[], int *status, int *exec_failed);

#endif
