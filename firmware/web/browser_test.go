package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/internal/testmodel"
)

// startDaemon runs the daemon on the synthetic camera with the test model
// and a web page that needs a token; it returns the page's address with
// the token.
func startDaemon(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("page-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := testmodel.DaemonConfig(t, "synthetic:320x240", fmt.Sprintf("\n[http]\nlisten = \"127.0.0.1:0\"\ntoken_file = %q\n", token))
	var srv *Server
	open := func(env firmware.OutputEnv) ([]firmware.Output, error) {
		outs, err := Open(env)
		if err == nil {
			srv = outs[0].(*Server)
		}
		return outs, err
	}
	d, err := firmware.Open(firmware.Options{Config: path, Stdout: &testenv.Buffer{}, Openers: []firmware.OutputOpener{open},
		CameraOptions: camera.Options{FPS: 30}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if !strings.Contains(d.String(), "web page "+srv.URL()) {
		t.Errorf("the daemon's description %q lacks the page's address %s", d, srv.URL())
	}
	return srv.URL() + "?token=page-token"
}

// TestPageInChromium: headless Chromium loads the page of a running
// daemon; within 10 s it shows a live frame and a label. Screenshots of a
// desktop and a phone-sized window are kept in build/.
func TestPageInChromium(t *testing.T) {
	exe := testenv.Program(t, "chromium")
	url := startDaemon(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	ctx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", exe, err)
	}

	start := time.Now()
	const shown = `(() => {
		const img = document.getElementById("live"), label = document.querySelector("#top .label");
		return img.complete && img.naturalWidth === 320 && !!label && label.textContent.length > 0 &&
			document.querySelectorAll("#rules tr").length === 1 && document.getElementById("conn").textContent === "live";
	})()`
	err := chromedp.Do(ctx, chromedp.Navigate(url))
	var ready bool
	if err == nil {
		ready, err = chromedp.Run(ctx, chromedp.Poll[bool](shown, chromedp.WithPollingTimeout(10*time.Second)))
	}
	if err != nil || !ready {
		text, _ := chromedp.Run(ctx, chromedp.Text("body"))
		t.Fatalf("the page showed no live frame and label in 10 s (%v); it reads:\n%s", err, text)
	}
	t.Logf("live frame and label after %v", time.Since(start).Round(time.Millisecond))

	// The page redraws its parts several times a second: read them in one go.
	fps, err1 := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("fps").textContent`))
	top, err2 := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#top .label").textContent`))
	if err1 != nil || err2 != nil || fps == "-" || top == "" {
		t.Errorf("fps %q, top label %q (%v, %v)", fps, top, err1, err2)
	}
	build := filepath.Join(testenv.RepoRoot(t), "build")
	if err := os.MkdirAll(build, 0o755); err != nil {
		t.Fatal(err)
	}
	shoot := func(name string) {
		time.Sleep(300 * time.Millisecond) // the next state and frame drawn
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(build, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shoot("web-page.png")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	shoot("web-page-phone.png")
}
