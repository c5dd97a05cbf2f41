// Package redistest starts a real redis-server for tests, on a free
// loopback port, and stops it when the test ends.
//
// Without redis-server on PATH a test is skipped, except under CI=true,
// where it fails: CI must never pass by skipping the real thing.
package redistest

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
	"testing"
	"time"
)

// Server is one redis-server process owned by a test.
type Server struct {
	Addr string // 127.0.0.1:port
	dir  string
	args []string

	mu       sync.Mutex
	cmd      *exec.Cmd
	waitDone chan struct{} // closed when cmd has exited
}

// URL is the redis:// URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Start starts a fresh redis-server for tb and stops it at cleanup. extra
// are more redis-server arguments, e.g. "--appendonly", "yes".
func Start(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("redis-server not found on PATH (CI=true: refusing to skip)")
		}
		tb.Skip("redis-server not found on PATH; install it (apt-get install redis-server) to run this test")
	}
	s := &Server{dir: tb.TempDir()}
	// The free port may be taken by another process before redis-server
	// binds it; then try another.
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("free port: %v", err)
		}
		s.Addr = "127.0.0.1:" + strconv.Itoa(port)
		s.args = append([]string{bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--save", "", "--appendonly", "no", "--dir", s.dir, "--protected-mode", "no"}, extra...)
		if lastErr = s.Restart(); lastErr == nil {
			break
		}
		s.Kill()
	}
	if lastErr != nil {
		tb.Fatalf("start redis-server: %v", lastErr)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Stop stops the server (SIGTERM, or SIGKILL if it hangs).
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server handles no signal but these two
	select {
	case <-s.waitDone:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.waitDone
	}
	s.cmd = nil
}

// Kill stops the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.waitDone
	s.cmd = nil
}

// Pause stops the server with SIGSTOP: it keeps its sockets and accepts
// connections (the kernel does), but answers nothing, as a hung Redis would.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Restart starts the server again on the same port and data directory.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Dir = s.dir
	logf, err := os.Create(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.waitDone = exited
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if ping(s.Addr) {
			return nil
		}
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("redis-server on %s exited at start (see %s)", s.Addr, filepath.Join(s.dir, "redis.log"))
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("redis-server on %s did not answer PING", s.Addr)
}

func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartCluster starts n redis-server nodes (n >= 3) as one Redis Cluster
// with no replicas, and waits until every slot is served. It needs
// redis-cli (Debian's redis-tools, which redis-server depends on).
func StartCluster(tb testing.TB, n int) []*Server {
	tb.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("redis-cli not found on PATH (CI=true: refusing to skip)")
		}
		tb.Skip("redis-cli not found on PATH")
	}
	nodes := make([]*Server, n)
	args := []string{"--cluster", "create"}
	for i := range nodes {
		nodes[i] = Start(tb, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000")
		args = append(args, nodes[i].Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, node := range nodes {
		for {
			host, port, _ := strings.Cut(node.Addr, ":")
			out, _ := exec.Command(cli, "-h", host, "-p", port, "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("cluster node %s not ready: %s", node.Addr, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}
