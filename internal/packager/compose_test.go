package packager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/packager"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required in CI: %v", b, err)
			}
			t.Skipf("%s is not installed, so there is no FFmpeg to compose with; install Debian's ffmpeg package to run this (CI=1 makes its absence a failure)", b)
		}
	}
}

// synthetic is what a LiveKit subscriber hands the packager for one broadcaster: FFmpeg's
// test pattern as VP8 in IVF or H.264 Annex-B, and a sine as Opus in Ogg, seconds long.
func synthetic(t *testing.T, id, format string, seconds string) packager.Source {
	t.Helper()
	run := func(args ...string) io.Reader {
		cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return out
	}
	video := []string{"-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", seconds}
	if format == packager.VideoIVF {
		video = append(video, "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "500k", "-f", "ivf", "pipe:1")
	} else {
		video = append(video, "-c:v", "libx264", "-preset", "ultrafast", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "pipe:1")
	}
	return packager.Source{ID: id, VideoFormat: format, Video: run(video...),
		Audio: run("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", seconds, "-c:a", "libopus", "-f", "ogg", "pipe:1")}
}

type probe struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
		CodecType string `json:"codec_type"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_streams", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// segments lists the playlist's segment files in order.
func segments(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

func checkSegment(t *testing.T, path string, width, height int) {
	t.Helper()
	var video, audio bool
	for _, s := range ffprobe(t, path).Streams {
		switch s.CodecType {
		case "video":
			video = true
			if s.CodecName != "h264" || s.Width != width || s.Height != height {
				t.Errorf("%s: video %s %dx%d, want h264 %dx%d", path, s.CodecName, s.Width, s.Height, width, height)
			}
		case "audio":
			audio = true
			if s.CodecName != "aac" {
				t.Errorf("%s: audio %s, want aac", path, s.CodecName)
			}
		}
	}
	if !video || !audio {
		t.Errorf("%s: video %v audio %v", path, video, audio)
	}
}

// The host alone, then a co-host beside them, then the host alone again: each run appends
// to one playlist and its segments have the frame size of the set on stage.
func TestComposeRecomposesOnOneplaylist(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	l := packager.DefaultLayout
	var log bytes.Buffer
	stages := []struct {
		sources []packager.Source
		width   int
	}{
		{[]packager.Source{synthetic(t, "host", packager.VideoH264, "4")}, 640},
		{[]packager.Source{synthetic(t, "host", packager.VideoH264, "4"), synthetic(t, "cohost", packager.VideoIVF, "4")}, 1280},
		{[]packager.Source{synthetic(t, "host", packager.VideoIVF, "4")}, 640},
	}
	seen := 0
	for i, st := range stages {
		if err := packager.Compose(context.Background(), "", dir, l, st.sources, &log); err != nil {
			t.Fatalf("stage %d: %v\n%s", i, err, log.String())
		}
		segs := segments(t, dir)
		if len(segs) <= seen {
			t.Fatalf("stage %d added no segment: %v\n%s", i, segs, log.String())
		}
		for _, s := range segs[seen:] {
			checkSegment(t, filepath.Join(dir, s), st.width, l.TileHeight)
		}
		seen = len(segs)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "index.m3u8"))
	if strings.Contains(string(b), "#EXT-X-ENDLIST") {
		t.Errorf("a live playlist ends:\n%s", b)
	}
	if err := packager.EndPlaylist(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "index.m3u8")); !strings.HasSuffix(string(b), "#EXT-X-ENDLIST\n") {
		t.Errorf("ended playlist:\n%s", b)
	}
	t.Logf("playlist:\n%s", b)
	if n := strings.Count(string(b), "#EXT-X-DISCONTINUITY"); n < 2 {
		t.Errorf("want a discontinuity at each recomposition, got %d:\n%s", n, b)
	}
	if p := ffprobe(t, filepath.Join(dir, "thumbnail.jpg")); len(p.Streams) != 1 || p.Streams[0].CodecName != "mjpeg" {
		t.Errorf("thumbnail: %+v", p)
	}
}
