package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"neonet.dev/neonet/internal/testenv"
)

// TestPageInChromium: headless Chromium loads the page of a running
// daemon whose camera is a video file; within 10 s it shows a live frame
// and a label. Then the teach panel, clicked through as a user does,
// saves frames of three classes from the camera and trains a model on
// them, which the daemon runs: its status reports the new classes.
// Screenshots of a desktop and a phone-sized window are kept in build/.
func TestPageInChromium(t *testing.T) {
	exe := testenv.Program(t, "chromium")
	video := testenv.SharedData(t, "videos", "Megamind.avi") // 720x528
	files := newTeachFiles(t, t.TempDir(), video, "cat")
	srv := runDaemon(t, files.config)
	url := srv.URL() + "?token=page-token"
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	ctx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 180*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", exe, err)
	}

	start := time.Now()
	const shown = `(() => {
		const img = document.getElementById("live"), label = document.querySelector("#top .label");
		return img.complete && img.naturalWidth === 720 && !!label && label.textContent.length > 0 &&
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

	// The teach panel: the rule is edited to name a class of the model to
	// come, then frames of three classes are saved, a second apart, and a
	// training starts.
	classes := []string{"scene 1", "scene 2", "scene 3"}
	files.rule("scene 2")
	teachStart := time.Now()
	const perClass = 8
	for _, class := range classes {
		time.Sleep(time.Second) // the video moves on
		for i := range perClass {
			err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("teach-label"), class), chromedp.Click(chromedp.ID("teach-save")))
			if err == nil {
				_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById("teach-msg").textContent.includes("(%d photos of %s)")`, i+1, class),
					chromedp.WithPollingTimeout(10*time.Second)))
			}
			if err != nil {
				msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("teach")))
				t.Fatalf("saving frame %d of %s: %v; the panel reads:\n%s", i+1, class, err, msg)
			}
		}
	}
	const trained = `(() => {
		const ok = document.querySelector("#teach-job .ok"), top = document.querySelector("#top .label");
		return !!ok && ok.textContent.includes("now runs the new model") && !!top && top.textContent.startsWith("scene ");
	})()`
	err = chromedp.Do(ctx, chromedp.Click(chromedp.ID("teach-train")))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](trained, chromedp.WithPollingTimeout(90*time.Second)))
	}
	if err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("teach")))
		t.Fatalf("training from the page: %v; the panel reads:\n%s", err, msg)
	}
	st := teacher{t, srv.URL()}.status()
	j := st.Teach.Training
	t.Logf("%d frames saved and trained from the page in %v (training %.1f s, accuracy %.2f)", len(classes)*perClass,
		time.Since(teachStart).Round(time.Millisecond), j.Seconds, j.TrainAcc)
	if !slices.Equal(st.Labels, classes) || len(st.Rules) != 1 || !slices.Equal(st.Rules[0].Labels, []string{"scene 2"}) {
		t.Errorf("the daemon runs labels %v, rules %+v; want %v and a rule on scene 2", st.Labels, st.Rules, classes)
	}
	if len(j.Counts) != len(classes) {
		t.Errorf("the training's counts %+v", j.Counts)
	}
	for i, c := range j.Counts {
		if c.Name != classes[i] || c.Train+c.Val != perClass || c.Skipped != 0 {
			t.Errorf("the training's counts %+v", j.Counts)
		}
	}

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
