// Command shot screenshots a page: shot URL OUT WIDTH HEIGHT [click-selector|-] [scroll-selector].
package main

import (
	"context"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	w, _ := strconv.Atoi(os.Args[3])
	h, _ := strconv.Atoi(os.Args[4])
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("/usr/bin/chromium"), chromedp.NoSandbox, chromedp.WindowSize(w, h))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(os.Args[1]), chromedp.WaitReady("body")}
	if len(os.Args) > 5 && os.Args[5] != "-" {
		steps = append(steps, chromedp.Click(os.Args[5]))
	}
	if len(os.Args) > 6 {
		steps = append(steps, chromedp.ScrollIntoView(os.Args[6]))
	}
	steps = append(steps, chromedp.Sleep(600*time.Millisecond))
	if err := chromedp.Do(ctx, steps...); err != nil {
		log.Fatal(err)
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(os.Args[2], buf, 0o644); err != nil {
		log.Fatal(err)
	}
}
