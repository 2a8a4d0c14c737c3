# expect: client-per-request
import redis
from flask import Flask

app = Flask(__name__)


@app.route("/users/<uid>")
def show_user(uid):
    client = redis.Redis(host="cache", port=6379, socket_timeout=2)
    return client.get(f"user:profile:{uid}") or b""
