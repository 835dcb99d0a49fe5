package lab

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// contextName names the cluster, user and context in every lab kubeconfig.
const contextName = "meshbench-lab"

// serverURL is kube-apiserver's address on the underlay, the same from the
// host and from every node.
func serverURL() string { return fmt.Sprintf("https://%s:%d", ControlPlaneIP, APIServerPort) }

// writeKubeconfigs writes the admin kubeconfig and one per component, each
// embedding its certificates so it can be copied elsewhere and still work.
func writeKubeconfigs(l layout) error {
	if err := os.MkdirAll(filepath.Dir(l.componentKubeconfig("x")), 0o700); err != nil {
		return err
	}
	for _, id := range clientIdentities {
		path := l.componentKubeconfig(id.file)
		if id.file == adminID.file {
			path = l.kubeconfig()
		}
		if err := writeKubeconfig(l, id, path); err != nil {
			return err
		}
	}
	return nil
}

func writeKubeconfig(l layout, id identity, path string) error {
	ca, err := readFile(l.pki("ca.crt"))
	if err != nil {
		return err
	}
	crt, err := readFile(l.pki(id.file + ".crt"))
	if err != nil {
		return err
	}
	key, err := readFile(l.pki(id.file + ".key"))
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{Server: serverURL(), CertificateAuthorityData: ca}
	cfg.AuthInfos[contextName] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	cfg.CurrentContext = contextName
	return clientcmd.WriteToFile(*cfg, path)
}

// RESTConfig loads the admin client configuration of the lab at stateDir.
func RESTConfig(stateDir string) (*rest.Config, error) {
	return clientcmd.BuildConfigFromFlags("", KubeconfigPath(stateDir))
}
