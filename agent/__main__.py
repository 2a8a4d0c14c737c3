from ask_redis.cli import main

raise SystemExit(main())
