/* prctl PR_SET_TIMERSLACK / PR_GET_TIMERSLACK: per thread, 0 resets the
 * thread's default, a new thread starts from its creator's value. */
#include "tap.h"
#include <pthread.h>
#include <sys/prctl.h>

static long thread_slack;
static void *get_slack(void *arg)
{
	(void)arg;
	thread_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	prctl(PR_SET_TIMERSLACK, 777000, 0, 0, 0);
	return NULL;
}

int main(void)
{
	long def = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	ok(def > 0, "PR_GET_TIMERSLACK: a default slack (%ld)", def);
	ok(prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0) == 0, "PR_SET_TIMERSLACK 123456");
	ok(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 123456, "read back");
	pthread_t th;
	pthread_create(&th, NULL, get_slack, NULL);
	pthread_join(th, NULL);
	ok(thread_slack == 123456, "a new thread inherits the slack (%ld)", thread_slack);
	ok(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 123456,
	   "another thread's change is its own");
	ok(prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0) == 0 &&
		   prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == def,
	   "0 resets the default");
	return tap_done();
}
