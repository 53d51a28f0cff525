// credential-client drives a credential helper through docker's own Go client library,
// github.com/docker/docker-credential-helpers/client (the code docker, containerd-based
// tools and containers/image use to talk to helpers), and prints what the library returned
// as one JSON line, so a test can assert it.
//
//	credential-client [-helper lanyard] store SERVER USERNAME   (the secret is read from stdin)
//	credential-client [-helper lanyard] get SERVER
//	credential-client [-helper lanyard] erase SERVER
//	credential-client [-helper lanyard] list
//	credential-client version   (the library's version)
//
// The helper is found on PATH as docker-credential-<helper>, as docker finds it.
// Exit 0 whenever the library call was made (its error is in the JSON), 2 on bad usage.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
)

type result struct {
	OK          bool                     `json:"ok"`
	Credentials *credentials.Credentials `json:"credentials,omitempty"`
	// A pointer, so that an empty list prints {} and a helper's `null` prints null.
	List  *map[string]string `json:"list,omitempty"`
	Error string             `json:"error,omitempty"`
	// What callers branch on: docker and containers/image treat not-found as "no login".
	NotFound bool `json:"notFound"`
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: credential-client [-helper NAME] "+
		"store SERVER USERNAME | get SERVER | erase SERVER | list | version")
	os.Exit(2)
}

func call(program client.ProgramFunc, verb string, args []string) (result, error) {
	var r result
	var err error
	switch {
	case verb == "store" && len(args) == 2:
		secret, readErr := io.ReadAll(os.Stdin)
		if readErr != nil {
			return r, readErr
		}
		err = client.Store(program, &credentials.Credentials{ServerURL: args[0], Username: args[1], Secret: string(secret)})
	case verb == "get" && len(args) == 1:
		r.Credentials, err = client.Get(program, args[0])
	case verb == "erase" && len(args) == 1:
		err = client.Erase(program, args[0])
	case verb == "list" && len(args) == 0:
		var list map[string]string
		list, err = client.List(program)
		r.List = &list
	default:
		usage()
	}
	r.OK = err == nil
	if err != nil {
		r.Error = err.Error()
		r.NotFound = credentials.IsErrCredentialsNotFound(err)
	}
	return r, nil
}

func main() {
	helper := flag.String("helper", "lanyard", "the helper's name: docker-credential-NAME is run from PATH")
	flag.Usage = usage
	flag.Parse()
	if flag.NArg() < 1 {
		usage()
	}
	if flag.Arg(0) == "version" && flag.NArg() == 1 {
		fmt.Println(credentials.Version)
		return
	}
	program := client.NewShellProgramFunc("docker-credential-" + *helper)
	r, err := call(program, flag.Arg(0), flag.Args()[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "credential-client:", err)
		os.Exit(2)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "credential-client:", err)
		os.Exit(2)
	}
}
