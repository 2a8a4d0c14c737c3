// expect: client-per-request
package web

import (
	"net/http"

	"github.com/redis/go-redis/v9"
)

type Service struct{ addr string }

func (s *Service) Handle(w http.ResponseWriter, r *http.Request) {
	c := redis.NewClient(&redis.Options{Addr: s.addr})
	defer c.Close()
	c.Incr(r.Context(), "stats:hits:home")
}
