/* Guest clock ids as the host knows them (sys_time.c), for the clock
 * calls and the POSIX timers (sys_timer.c). */
#ifndef PICOS_CLOCK_H
#define PICOS_CLOCK_H

struct file;

/* Negative clock ids name CPU-time clocks of a pid or tid, or a posix
 * clock device open on an fd (include/linux/posix-timers.h). */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_WHICH_MASK 7
#define CLOCKFD 3

/* A guest clock id as the host knows it, with the file it names. */
struct hclock {
	int id;
	struct file *f;
};

/* Maps a guest clock id (-EINVAL for ids naming nothing in this world);
 * clock_put drops the file reference it may hold. */
long clock_to_host(int clk, struct hclock *hc);
void clock_put(struct hclock *hc);

/* The host tid of a thread of this process, 0 when `vtid` is none. */
int own_thread_host_tid(int vtid);

/* sys_timer.c: exec deletes the process's POSIX timers (the in-place
 * exec keeps the host process and so its timers); a fork child has none
 * (the host's), so it forgets the parent's record of them. */
void timers_exec(void);
void timers_forget_all(void);

#endif
