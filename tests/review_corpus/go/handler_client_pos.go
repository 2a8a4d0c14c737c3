// expect: client-per-request
package web

import (
	"net/http"

	"github.com/redis/go-redis/v9"
)

func userHandler(w http.ResponseWriter, r *http.Request) {
	rdb := redis.NewClient(&redis.Options{Addr: "cache:6379"})
	defer rdb.Close()
	name, _ := rdb.HGet(r.Context(), "user:profile:"+r.URL.Query().Get("id"), "name").Result()
	w.Write([]byte(name))
}
