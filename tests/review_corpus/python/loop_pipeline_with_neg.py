# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def save_scores(scores):
    with r.pipeline() as p:
        for user_id, score in scores.items():
            p.zadd("game:leaderboard", {user_id: score})
        p.execute()
