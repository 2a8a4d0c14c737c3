// expect: none
package cmd

import (
	"context"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

var rdb = redis.NewClient(&redis.Options{Addr: "localhost:6379"})

func queueInspect(cmd *cobra.Command, args []string) error {
	for _, name := range args {
		n, err := rdb.LLen(context.Background(), "queue:"+name).Result()
		if err != nil {
			return err
		}
		cmd.Println(name, n)
	}
	return nil
}
