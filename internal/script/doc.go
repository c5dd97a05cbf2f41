// Package script runs Redis Lua scripts inside pipelines.
//
// go-redis's Script.Run sends EVALSHA and, when Redis answers NOSCRIPT
// (its script cache is empty after a restart or a failover), sends the
// script whole with EVAL. Inside a pipeline that cannot happen: the answer
// comes only after the whole pipeline went out. Queue puts the EVALSHA in
// the pipeline; Pending.Cmd, once the pipeline has run, sends the script
// whole if Redis did not know it, so a script's first use after Redis
// started costs one more round trip and every later use none.
package script
