/* A hostile guest against the world's exec door (tests/oci/run.sh):
 * with raw host calls (tests/hostile/hostile.h) it connects to its own
 * container's exec socket, whose host path it is given, and asks for a
 * process as root.  The door must refuse it (a request from inside the
 * world), or the socket must be out of reach (namespaces: not in the
 * world's tree).  Prints "door: refused", "door: out of reach" or
 * "door: ACCEPTED" (a failure). */
#include "../hostile/hostile.h"
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
	if (argc != 2 || hostile_find_gadget() < 0) {
		printf("door: usage\n");
		return 2;
	}
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[1]);
	long s = HSC3(__NR_socket, AF_UNIX, SOCK_SEQPACKET, 0);
	if (s < 0 || HSC3(__NR_connect, s, &a, sizeof a) < 0) {
		printf("door: out of reach\n");
		return 0;
	}
	static const char req[] = "PX1\0aid\0u0\0g0";
	int fds[3] = { (int)s, (int)s, (int)s };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof fds)];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = { (void *)req, sizeof req };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(h), fds, sizeof fds);
	char r[256] = "";
	long n = HSC3(__NR_sendmsg, s, &m, MSG_NOSIGNAL);
	if (n >= 0)
		n = HSC6(__NR_recvfrom, s, r, sizeof r - 1, 0, 0, 0);
	if (n > 0 && r[0] == 'p')
		printf("door: ACCEPTED\n");
	else
		printf("door: refused\n");
	return 0;
}
