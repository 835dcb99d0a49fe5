package main

import (
	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/analysis"
)

func init() { register(newCompareCmd) }

func newCompareCmd() *cobra.Command {
	var (
		f      resultsTableFlags
		labels []string
	)
	c := &cobra.Command{
		Use:   "compare A.json B.json [FILE...]",
		Short: "Put runs side by side: configurations by sizes, overhead against a baseline file, with CIs",
		Long: `compare reads two or more results documents, one per configuration (a mesh,
a CNI, a cluster), and prints them side by side: rows are the configurations
(each file's label), columns the response sizes, and every row's overhead
against the baseline file, absolute and in percent, with bootstrap confidence
intervals. Files are named by --label in file order, else by their mesh, else
by their file name. Rows from different files were measured in different
windows, so their differences include any drift between the runs.`,
		Example: `  meshbench compare none.json ambient.json linkerd.json
  meshbench compare --label plain --label wireguard a.json b.json -o markdown
  meshbench compare --baseline linkerd none.json linkerd.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("compare: want two or more results files, e.g. meshbench compare none.json istio-ambient.json")
			}
			if len(labels) > len(args) {
				return usagef("--label: %d labels for %d files; want at most one per file, in file order", len(labels), len(args))
			}
			opts, format, err := f.options(cmd.Context())
			if err != nil {
				return err
			}
			defer f.discard()
			docs, err := readResultsFiles(args)
			if err != nil {
				return err
			}
			names := analysis.SourceLabels(args, docs, labels)
			sources := make([]analysis.Source, len(docs))
			for i := range docs {
				sources[i] = analysis.Source{Label: names[i], Docs: docs[i : i+1]}
			}
			if opts.Baseline == "" {
				opts.Baseline = names[0]
			}
			r, err := analysis.BuildReport(sources, opts)
			if err := interrupted(cmd.Context(), "compare"); err != nil {
				return err
			}
			if err != nil {
				return resultsTableError(err)
			}
			return f.render(cmd.OutOrStdout(), r, format)
		},
	}
	f.add(c.Flags(), "baseline configuration: a file's label (default: the first file)")
	c.Flags().StringArrayVar(&labels, "label", nil, "name of the next file's configuration, in file order (repeat per file)")
	return c
}
