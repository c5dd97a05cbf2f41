package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process the soak owns and restarts.
type proc struct {
	name string
	args []string
	env  []string
	dir  string
	log  *os.File

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Dir, cmd.Env = p.dir, p.env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	return nil
}

// kill sends SIGKILL and waits for the exit.
func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// signal sends sig (SIGSTOP, SIGCONT, SIGTERM).
func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

// stop asks politely (SIGCONT first, in case it is paused), then kills.
func (p *proc) stop(grace time.Duration) {
	p.signal(syscall.SIGCONT)
	p.signal(syscall.SIGTERM)
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(grace):
		p.kill()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitRedis waits until redis-server answers PING.
func waitRedis(ctx context.Context, addr string) error {
	for ctx.Err() == nil {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.SetDeadline(time.Now().Add(time.Second))
			_, _ = c.Write([]byte("PING\r\n"))
			line, err := bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
			if err == nil && strings.HasPrefix(line, "+PONG") {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ctx.Err()
}

// redisVersion is the first line of redis-server --version.
func redisVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "redis-server (unknown version)"
	}
	return strings.TrimSpace(string(out))
}

// newRedis prepares redis-server with AOF fsync'd on every write.
func newRedis(bin, dir string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	log, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		return nil, "", err
	}
	return &proc{name: "redis-server", dir: dir, log: log, env: os.Environ(), args: []string{bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "yes",
		"--appendfsync", "always", "--dir", dir, "--protected-mode", "no"}}, "127.0.0.1:" + strconv.Itoa(port), nil
}

// newFoyer prepares the foyer binary against redisAddr.
func newFoyer(bin, dir, redisAddr, adminKey string) (*proc, string, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", "", err
	}
	mport, err := freePort()
	if err != nil {
		return nil, "", "", err
	}
	log, err := os.Create(filepath.Join(dir, "foyer.log"))
	if err != nil {
		return nil, "", "", err
	}
	addr, maddr := "127.0.0.1:"+strconv.Itoa(port), "127.0.0.1:"+strconv.Itoa(mport)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FOYER_") {
			env = append(env, kv)
		}
	}
	env = append(env, "FOYER_ADDR="+addr, "FOYER_METRICS_ADDR="+maddr, "FOYER_REDIS_URL=redis://"+redisAddr,
		"FOYER_DEV=1", "FOYER_BASE_DOMAIN="+baseDomain, "FOYER_ADMIN_KEY="+adminKey,
		"FOYER_SECRET_KEY="+strings.Repeat("5a", 32), "FOYER_EGRESS_ALLOW=127.0.0.0/8",
		"FOYER_TRUSTED_PROXIES=127.0.0.1", // the soak plays the TLS proxy: see vu.clientIP
		"FOYER_WEBHOOK_RETRY_BASE=500ms", "FOYER_LOG_LEVEL=info", "FOYER_LOG_FORMAT=json")
	return &proc{name: "foyer", dir: dir, log: log, env: env, args: []string{bin}}, addr, maddr, nil
}
