/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Throughput of Zephyr's MQTT library (subsys/net/lib/mqtt) on native_sim, the C side
 * of scripts/bench's comparison with bench/zephyr-zmqtt: one connection, then for each
 * QoS (0, 1, 2) and payload (64 B, 1 KiB) CONFIG_BENCH_MESSAGES publishes with at most
 * CONFIG_BENCH_WINDOW unacknowledged. The library leaves flow control to the
 * application, so this loop counts PUBACK / PUBCOMP itself and answers PUBREC.
 *
 * scripts/bench times each run from its "bench: start" line to its "bench: done" line
 * (native_sim's own clock does not advance while code runs, only while it waits).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/net/mqtt.h>
#include <zephyr/net/socket.h>

#define MAX_PAYLOAD 1024
/* One PUBLISH of the largest payload plus headers and topic. */
static uint8_t tx_buffer[MAX_PAYLOAD + 64];
/* Only acknowledgements come in. */
static uint8_t rx_buffer[256];
static uint8_t payload[MAX_PAYLOAD];

static struct mqtt_client client;
static struct sockaddr_storage broker;

static bool connected;
static int inflight;
static int delivered;
static int failed;

static void on_event(struct mqtt_client *c, const struct mqtt_evt *evt)
{
	switch (evt->type) {
	case MQTT_EVT_CONNACK:
		connected = evt->result == 0;
		break;
	case MQTT_EVT_DISCONNECT:
		connected = false;
		break;
	case MQTT_EVT_PUBACK:
		inflight--;
		if (evt->result == 0) {
			delivered++;
		} else {
			failed++;
		}
		break;
	case MQTT_EVT_PUBREC: {
		const struct mqtt_pubrel_param rel = {
			.message_id = evt->param.pubrec.message_id,
		};

		if (mqtt_publish_qos2_release(c, &rel) != 0) {
			failed++;
		}
		break;
	}
	case MQTT_EVT_PUBCOMP:
		inflight--;
		if (evt->result == 0) {
			delivered++;
		} else {
			failed++;
		}
		break;
	default:
		break;
	}
}

/* Waits up to timeout_ms for input, then handles every whole packet that has arrived
 * (mqtt_input takes one per call).
 */
static int handle_input(int timeout_ms)
{
	struct zsock_pollfd fd = {
		.fd = client.transport.tcp.sock,
		.events = ZSOCK_POLLIN,
	};
	int ret = zsock_poll(&fd, 1, timeout_ms);

	while (ret > 0) {
		if (fd.revents & (ZSOCK_POLLERR | ZSOCK_POLLHUP | ZSOCK_POLLNVAL)) {
			return -ENOTCONN;
		}
		ret = mqtt_input(&client);
		if (ret != 0) {
			return ret;
		}
		ret = zsock_poll(&fd, 1, 0);
	}
	if (ret < 0) {
		return -errno;
	}
	/* Sends PINGREQ when the keep-alive is due; -EAGAIN means it is not. */
	ret = mqtt_live(&client);
	return ret == -EAGAIN ? 0 : ret;
}

static int bench_connect(void)
{
	struct sockaddr_in *addr = (struct sockaddr_in *)&broker;

	addr->sin_family = AF_INET;
	addr->sin_port = htons(CONFIG_BENCH_BROKER_PORT);
	zsock_inet_pton(AF_INET, "127.0.0.1", &addr->sin_addr);

	mqtt_client_init(&client);
	client.broker = &broker;
	client.evt_cb = on_event;
	client.client_id.utf8 = (const uint8_t *)"zephyr-c-bench";
	client.client_id.size = strlen("zephyr-c-bench");
	client.protocol_version = MQTT_VERSION_3_1_1;
	client.clean_session = 1;
	client.keepalive = 60;
	client.rx_buf = rx_buffer;
	client.rx_buf_size = sizeof(rx_buffer);
	client.tx_buf = tx_buffer;
	client.tx_buf_size = sizeof(tx_buffer);
	client.transport.type = MQTT_TRANSPORT_NON_SECURE;

	int ret = mqtt_connect(&client);

	if (ret != 0) {
		return ret;
	}
	for (int i = 0; i < 100 && !connected; i++) {
		ret = handle_input(100);
		if (ret != 0) {
			return ret;
		}
	}
	return connected ? 0 : -ETIMEDOUT;
}

static int run(enum mqtt_qos qos, size_t size)
{
	struct mqtt_publish_param msg = {
		.message = {
			.topic = {
				.topic = {
					.utf8 = (const uint8_t *)"bench/zephyr-c",
					.size = strlen("bench/zephyr-c"),
				},
				.qos = qos,
			},
			.payload = {.data = payload, .len = size},
		},
	};
	int sent = 0;
	uint16_t id = 0;

	inflight = 0;
	delivered = 0;
	failed = 0;
	printf("bench: start qos=%d size=%zu\n", qos, size);
	while (delivered + failed < CONFIG_BENCH_MESSAGES) {
		while (sent < CONFIG_BENCH_MESSAGES && inflight < CONFIG_BENCH_WINDOW) {
			id = id == UINT16_MAX ? 1 : id + 1;
			msg.message_id = id;
			int ret = mqtt_publish(&client, &msg);

			if (ret != 0) {
				printf("bench: publish failed: %d\n", ret);
				return ret;
			}
			sent++;
			if (qos == MQTT_QOS_0_AT_MOST_ONCE) {
				delivered++;
			} else {
				inflight++;
			}
		}
		if (delivered + failed == CONFIG_BENCH_MESSAGES) {
			break;
		}
		int ret = handle_input(10000);

		if (ret != 0 || !connected) {
			printf("bench: connection lost: %d\n", ret);
			return ret != 0 ? ret : -ENOTCONN;
		}
	}
	printf("bench: done qos=%d size=%zu count=%d failed=%d\n", qos, size, delivered, failed);
	return 0;
}

int main(void)
{
	static const size_t sizes[] = {64, 1024};

	memset(payload, 'x', sizeof(payload));
	int ret = bench_connect();

	if (ret != 0) {
		printf("bench: connect failed: %d\n", ret);
		return 0;
	}
	for (int qos = MQTT_QOS_0_AT_MOST_ONCE; qos <= MQTT_QOS_2_EXACTLY_ONCE; qos++) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			if (run(qos, sizes[i]) != 0) {
				printf("bench: failed\n");
				return 0;
			}
		}
	}
	mqtt_disconnect(&client);
	printf("bench: finished\n");
	return 0;
}
