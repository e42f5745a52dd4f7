// Package packager turns a live room's on-stage media into HLS: FFmpeg reads each
// participant's video (IVF/VP8 or Annex-B H.264) and audio (Ogg/Opus) from pipes, lays the
// videos side by side, mixes the audio, and writes H.264 + AAC segments and a playlist
// that playback.Server serves. When the set of participants changes the composition is
// restarted with the new inputs, appending to the same playlist, so a player sees a
// discontinuity and carries on.
package packager

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Video formats a Source may carry; what pion's media writers produce from RTP.
const (
	VideoIVF  = "ivf"  // VP8 in IVF (ivfwriter)
	VideoH264 = "h264" // H.264 Annex-B (h264writer)
)

// Source is one participant's media as a stream of container frames.
type Source struct {
	ID          string
	VideoFormat string    // VideoIVF | VideoH264
	Video       io.Reader // nil: no video (a black tile is shown)
	Audio       io.Reader // Ogg/Opus; nil: silent
}

// Layout is the size of one participant's tile and the output's segment length.
type Layout struct {
	TileWidth, TileHeight int
	SegmentSeconds        int
	FPS                   int
}

// DefaultLayout is 640x360 tiles, 2 s segments at 30 fps.
var DefaultLayout = Layout{TileWidth: 640, TileHeight: 360, SegmentSeconds: 2, FPS: 30}

// Size is the output frame size for n participants side by side.
func (l Layout) Size(n int) (int, int) {
	if n < 1 {
		n = 1
	}
	return l.TileWidth * n, l.TileHeight
}

// Compose runs FFmpeg on sources until ctx ends or every input closes, writing
// dir/index.m3u8 and its segments (seg_NNNNN.ts, numbering carried on across runs) and
// dir/thumbnail.jpg; the playlist stays open (EndPlaylist closes it). ffmpeg is the binary's path ("ffmpeg" when empty).
func Compose(ctx context.Context, ffmpeg, dir string, l Layout, sources []Source, log io.Writer) error {
	if len(sources) == 0 {
		return fmt.Errorf("packager: no sources")
	}
	if ffmpeg == "" {
		ffmpeg = "ffmpeg"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args, files, err := composeArgs(dir, l, sources)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	cmd.Stderr = log
	// Each input is an extra fd (3, 4, …) fed from its reader by a copy goroutine;
	// FFmpeg sees pipe:N.
	var writers []*os.File
	for _, src := range files {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, r)
		writers = append(writers, w)
		go func(src io.Reader, w *os.File) {
			io.Copy(w, src)
			w.Close()
		}(src, w)
	}
	err = cmd.Start()
	for _, r := range cmd.ExtraFiles {
		r.Close()
	}
	if err != nil {
		for _, w := range writers {
			w.Close()
		}
		return err
	}
	err = cmd.Wait()
	for _, w := range writers {
		w.Close() // unblocks copies whose reader outlives FFmpeg
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// composeArgs is FFmpeg's command line for sources, and the readers in fd order.
func composeArgs(dir string, l Layout, sources []Source) ([]string, []io.Reader, error) {
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-fflags", "+genpts"}
	var files []io.Reader
	var filters, vlabels, alabels []string
	input := 0
	for i, s := range sources {
		tile := fmt.Sprintf("[v%d]", i)
		if s.Video != nil {
			switch s.VideoFormat {
			case VideoIVF:
				args = append(args, "-f", "ivf")
			case VideoH264:
				args = append(args, "-f", "h264", "-framerate", strconv.Itoa(l.FPS))
			default:
				return nil, nil, fmt.Errorf("packager: unknown video format %q", s.VideoFormat)
			}
			args = append(args, "-thread_queue_size", "512", "-i", fmt.Sprintf("pipe:%d", 3+len(files)))
			files = append(files, s.Video)
			filters = append(filters, fmt.Sprintf("[%d:v]fps=%d,scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1%s",
				input, l.FPS, l.TileWidth, l.TileHeight, l.TileWidth, l.TileHeight, tile))
			input++
		} else {
			filters = append(filters, fmt.Sprintf("color=c=black:s=%dx%d:r=%d%s", l.TileWidth, l.TileHeight, l.FPS, tile))
		}
		vlabels = append(vlabels, tile)
		if s.Audio != nil {
			args = append(args, "-f", "ogg", "-thread_queue_size", "512", "-i", fmt.Sprintf("pipe:%d", 3+len(files)))
			files = append(files, s.Audio)
			alabels = append(alabels, fmt.Sprintf("[%d:a]", input))
			input++
		}
	}
	if len(vlabels) == 1 {
		filters = append(filters, vlabels[0]+"null[vout]")
	} else {
		filters = append(filters, fmt.Sprintf("%shstack=inputs=%d[vout]", strings.Join(vlabels, ""), len(vlabels)))
	}
	switch len(alabels) {
	case 0:
		filters = append(filters, "anullsrc=r=48000:cl=stereo[aout]")
	case 1:
		filters = append(filters, alabels[0]+"aresample=48000[aout]")
	default:
		filters = append(filters, fmt.Sprintf("%samix=inputs=%d:normalize=0[aout]", strings.Join(alabels, ""), len(alabels)))
	}
	filters = append(filters, "[vout]split=2[vhls][vthumb]")
	gop := strconv.Itoa(l.FPS * l.SegmentSeconds)
	args = append(args, "-filter_complex", strings.Join(filters, ";"),
		"-map", "[vhls]", "-map", "[aout]",
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
		"-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
		"-c:a", "aac", "-b:a", "128k", "-ar", "48000",
		"-f", "hls", "-hls_time", strconv.Itoa(l.SegmentSeconds), "-hls_list_size", "10",
		"-hls_flags", "append_list+omit_endlist+delete_segments+independent_segments+discont_start+temp_file",
		"-hls_segment_filename", filepath.Join(dir, "seg_%05d.ts"),
		filepath.Join(dir, "index.m3u8"),
		// The thumbnail: one frame every segment, overwritten in place.
		"-map", "[vthumb]", "-r", "1/"+strconv.Itoa(l.SegmentSeconds), "-update", "1", "-q:v", "4",
		"-f", "image2", filepath.Join(dir, "thumbnail.jpg"),
	)
	return args, files, nil
}

// EndPlaylist marks dir's playlist as complete when the room ends. Compose never writes
// the end tag itself: between two compositions the room is still live, and a player that
// saw it would stop.
func EndPlaylist(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, "index.m3u8"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("#EXT-X-ENDLIST\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
