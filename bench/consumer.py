"""The ceiling's consumer: one paho client in the hubs' shared subscription that PUBACKs every
kiosk event and does nothing else, in a process of its own as a hub is.

``python -m bench.consumer PORT COUNT``, with the hub's broker password in
``BENCH_HUB_PASSWORD`` and the CA of the broker's certificate in ``BENCH_BROKER_CA``: prints
``ready`` once subscribed, then a JSON line (messages, distinct payloads, monotonic times and
this process's CPU time at the first and the last message) once COUNT messages came, or when
its standard input ends. It imports only paho and the topic
names, so that it starts in a moment.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from mqttlink import no_delay
from wire.topics import Topics


def consume(port: int, password: str, expect: int) -> None:
    done = threading.Event()
    seen: set[int] = set()
    times = {"first": 0.0, "last": 0.0, "cpu_first": 0.0, "cpu": 0.0}
    count = 0

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        nonlocal count
        now = time.monotonic()
        count += 1
        seen.add(hash(msg.payload))
        if count == 1:
            times["first"], times["cpu_first"] = now, time.process_time()
        times["last"], times["cpu"] = now, time.process_time()
        if count >= expect:
            done.set()

    def until_stdin_ends() -> None:
        sys.stdin.read()
        done.set()

    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"bench-consumer-{os.getpid()}",
        protocol=mqtt.MQTTv5,
    )
    client.username_pw_set("hub", password)
    client.tls_set_context(ssl.create_default_context(cafile=os.environ["BENCH_BROKER_CA"]))
    client.on_socket_open = no_delay
    client.on_message = on_message
    client.on_subscribe = lambda *_a: print("ready", flush=True)
    client.on_connect = lambda c, *_a: c.subscribe(Topics().all_events("hub"), qos=1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    threading.Thread(target=until_stdin_ends, daemon=True).start()
    done.wait()
    print(json.dumps({"count": count, "distinct": len(seen), **times}), flush=True)
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    consume(int(sys.argv[1]), os.environ["BENCH_HUB_PASSWORD"], int(sys.argv[2]))
