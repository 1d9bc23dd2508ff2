// SPDX-License-Identifier: GPL-2.0
/*
 * A user-mode child driver in a page: open a child's channel, submit two
 * transfers, poll, and read their records.
 *
 *   echo rbus_dev >/sys/bus/rbus/devices/0-0050/driver_override   (or compatible "rbus,user")
 *   rbus_hello /dev/rbus-0-0050
 */

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/rbus.h>

int main(int argc, char **argv)
{
	struct rbus_req reqs[2] = {
		{ .id = 1, .op = RBUS_OP_TRANSFER, .tx_len = 2, .rx_len = 4, .tx = { 0x12, 0x34 } },
		{ .id = 2, .op = RBUS_OP_TRANSFER, .tx_len = 1, .rx_len = 1, .tx = { 0xff } },
	};
	struct rbus_submit submit = {
		.reqs = (unsigned long)reqs, .count = 2, .req_size = sizeof(reqs[0]),
	};
	struct rbus_record rec;
	struct pollfd pfd;
	int fd, left = 2;

	if (argc != 2) {
		fprintf(stderr, "usage: %s /dev/rbus-<bus>-<addr>\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_NONBLOCK);
	if (fd < 0 || ioctl(fd, RBUS_IOC_SUBMIT, &submit) != 2) {
		perror(argv[1]);
		return 1;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (left && poll(&pfd, 1, 5000) == 1 && !(pfd.revents & POLLHUP)) {
		while (read(fd, &rec, sizeof(rec)) == sizeof(rec)) {
			if (rec.type != RBUS_RECORD_COMPLETION)
				continue;
			printf("request %llu: %s, %u bytes:", (unsigned long long)rec.id,
			       rec.status ? strerror(-rec.status) : "ok", rec.len);
			for (unsigned int i = 0; i < rec.len; i++)
				printf(" %02x", rec.data[i]);
			printf("\n");
			left--;
		}
	}
	close(fd);
	return left ? 1 : 0;
}
